import { z } from 'zod';
import { peerIdSchema, regionSchema, sequenceSchema, swarmIdSchema } from './id-schemas.js';
import { err, ok, type Result } from './result.js';
import {
  CONNECTION_ID_PATTERN,
  CONNECTION_TYPES,
  MAX_PEERS_PER_ANSWER,
  MAX_SDP_BYTES,
  MAX_SEQUENCES_PER_MESSAGE,
  PEER_GONE_REASONS,
  readTrackerFrame,
  REPORT_REASONS,
  TRACKER_ERROR_CODES,
} from './tracker-frame.js';

/**
 * Tracker messages: JSON text frames on the tracker's WebSocket (`/ws`).
 * Every message names its swarm, so one connection can sit in several swarms (an ABR switch
 * joins the new rendition's swarm before leaving the old one).
 */

const sequenceListSchema = z.array(sequenceSchema).max(MAX_SEQUENCES_PER_MESSAGE);
const connectionIdSchema = z.string().regex(CONNECTION_ID_PATTERN, 'connection id');
const nonNegative = z.number().finite().min(0);

export const connectionTypeSchema = z.enum(CONNECTION_TYPES);
export type ConnectionType = z.infer<typeof connectionTypeSchema>;

/** WebRTC signalling payloads; `connectionId` ties an answer and candidates to their offer. */
export const signalPayloadSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('offer'),
    connectionId: connectionIdSchema,
    sdp: z.string().max(MAX_SDP_BYTES),
  }),
  z.object({
    kind: z.literal('answer'),
    connectionId: connectionIdSchema,
    sdp: z.string().max(MAX_SDP_BYTES),
  }),
  z.object({
    kind: z.literal('candidate'),
    connectionId: connectionIdSchema,
    /** Empty string: end of candidates. */
    candidate: z.string().max(2048),
    sdpMid: z.string().max(64).nullable(),
    sdpMLineIndex: z.number().int().min(0).max(255).nullable(),
  }),
]);
export type SignalPayload = z.infer<typeof signalPayloadSchema>;

export const reportReasonSchema = z.enum(REPORT_REASONS);
export type ReportReason = z.infer<typeof reportReasonSchema>;

const count = z.number().int().min(0);

/** Playback quality and offload figures a player sends periodically (cumulative counters). */
export const beaconStatsSchema = z.object({
  httpBytes: nonNegative,
  p2pBytes: nonNegative,
  uploadedBytes: nonNegative,
  peers: z.number().int().min(0).max(10_000),
  stalls: z.number().int().min(0),
  stallMs: nonNegative,
  startupMs: nonNegative.nullable(),
  fallbacks: z.number().int().min(0),
  integrityFailures: z.number().int().min(0),
  prefetchWastedBytes: nonNegative,
  bufferSec: nonNegative.nullable(),
  // Connectivity (optional: players from before these fields send none). Counted as each
  // peer connection set-up ends: opened (by the selected candidate pair's type), failed, or
  // opened over a relay the operator does not allow (closed at once).
  peerAttempts: count.optional(),
  peerFailures: count.optional(),
  relayRefused: count.optional(),
  pairsHost: count.optional(),
  pairsSrflx: count.optional(),
  pairsPrflx: count.optional(),
  pairsRelay: count.optional(),
  /** Opened where the stack gave no stats to tell the pair's type. */
  pairsUnknown: count.optional(),
  /** At least one peer connection opened on an allowed path this session. */
  p2pEligible: z.boolean().optional(),
});
export type BeaconStats = z.infer<typeof beaconStatsSchema>;

// ---- client → tracker -------------------------------------------------------------------

export const joinMessageSchema = z.object({
  type: z.literal('join'),
  v: z.number().int(),
  /** Viewer token from the origin's playback API (JWT, verified by the tracker). */
  token: z.string().min(1).max(4096),
  swarmId: swarmIdSchema,
  region: regionSchema,
  /** Upload capacity the peer offers, kbit/s. */
  uploadKbps: z.number().int().min(0).max(10_000_000),
  connectionType: connectionTypeSchema,
  live: z.boolean(),
  /** Segments already held in this swarm (the first delta). */
  have: sequenceListSchema,
  /**
   * The binary peer protocol version the client speaks (`PEER_PROTOCOL_VERSION`). The tracker
   * introduces peers, relays signals and elects live fetchers only among members of the same
   * version, so that two player builds of a rolling upgrade never meet. Absent: 1 (players
   * from before the field). One connection speaks one version.
   */
  peerProtocol: z.number().int().min(1).max(255).optional(),
});

export const leaveMessageSchema = z.object({ type: z.literal('leave'), swarmId: swarmIdSchema });

/** Availability delta: segments gained and segments dropped since the last one. */
export const haveMessageSchema = z.object({
  type: z.literal('have'),
  swarmId: swarmIdSchema,
  added: sequenceListSchema,
  lost: sequenceListSchema,
});

export const getPeersMessageSchema = z.object({
  type: z.literal('get-peers'),
  swarmId: swarmIdSchema,
  /** Sequences the asker needs soon; peers holding them rank higher. */
  need: z.array(sequenceSchema).max(64),
  max: z.number().int().min(1).max(MAX_PEERS_PER_ANSWER),
});

export const clientSignalMessageSchema = z.object({
  type: z.literal('signal'),
  swarmId: swarmIdSchema,
  to: peerIdSchema,
  signal: signalPayloadSchema,
});

/** A peer sent bad bytes (or broke the protocol): the tracker excludes it from matching. */
export const reportMessageSchema = z.object({
  type: z.literal('report'),
  swarmId: swarmIdSchema,
  peerId: peerIdSchema,
  reason: reportReasonSchema,
  sequence: sequenceSchema.optional(),
});

export const beaconMessageSchema = z.object({
  type: z.literal('beacon'),
  swarmId: swarmIdSchema,
  stats: beaconStatsSchema,
});

export const pingMessageSchema = z.object({ type: z.literal('ping'), t: nonNegative.optional() });

export const clientMessageSchema = z.discriminatedUnion('type', [
  joinMessageSchema,
  leaveMessageSchema,
  haveMessageSchema,
  getPeersMessageSchema,
  clientSignalMessageSchema,
  reportMessageSchema,
  beaconMessageSchema,
  pingMessageSchema,
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type JoinMessage = z.infer<typeof joinMessageSchema>;
export type HaveMessage = z.infer<typeof haveMessageSchema>;
export type GetPeersMessage = z.infer<typeof getPeersMessageSchema>;
export type ClientSignalMessage = z.infer<typeof clientSignalMessageSchema>;
export type ReportMessage = z.infer<typeof reportMessageSchema>;
export type BeaconMessage = z.infer<typeof beaconMessageSchema>;

// ---- tracker → client -------------------------------------------------------------------

export const joinedMessageSchema = z.object({
  type: z.literal('joined'),
  v: z.number().int(),
  swarmId: swarmIdSchema,
  /** This connection's peer id (the same for every swarm it joins). */
  peerId: peerIdSchema,
  /** The tracker drops a peer that sends nothing for this long; ping well within it. */
  heartbeatMs: z.number().int().positive(),
});

export const peerInfoSchema = z.object({
  peerId: peerIdSchema,
  region: regionSchema,
  uploadKbps: z.number().int().min(0),
  connectionType: connectionTypeSchema,
  /** What the peer holds among the asker's `need` and its most recent segments. */
  have: sequenceListSchema,
});
export type PeerInfo = z.infer<typeof peerInfoSchema>;

export const peersMessageSchema = z.object({
  type: z.literal('peers'),
  swarmId: swarmIdSchema,
  /** Ranked best first: same region, spare upload capacity, overlap with `need`. */
  peers: z.array(peerInfoSchema).max(MAX_PEERS_PER_ANSWER),
});

export const serverSignalMessageSchema = z.object({
  type: z.literal('signal'),
  swarmId: swarmIdSchema,
  from: peerIdSchema,
  signal: signalPayloadSchema,
  /**
   * On an offer, the upload the offerer announced (kbit/s): the answerer never had it in a
   * `peers` answer, and assumes the peer no faster than this until it has measured it.
   */
  uploadKbps: z.number().int().min(0).optional(),
});

/**
 * Live fetch election for a swarm. For each new segment, the `perSegment` fetchers ranked first
 * by `electedFetchers()` fetch it from the CDN at once; every other peer waits for it from
 * peers (and falls back to HTTP only near the deadline). Sent on join and whenever it changes.
 */
export const electionMessageSchema = z.object({
  type: z.literal('election'),
  swarmId: swarmIdSchema,
  epoch: z.number().int().min(0),
  fetchers: z.array(peerIdSchema).max(64),
  perSegment: z.number().int().min(1).max(8),
});
export type ElectionMessage = z.infer<typeof electionMessageSchema>;

export const peerGoneMessageSchema = z.object({
  type: z.literal('peer-gone'),
  swarmId: swarmIdSchema,
  peerId: peerIdSchema,
  reason: z.enum(PEER_GONE_REASONS),
});

export const trackerErrorCodeSchema = z.enum(TRACKER_ERROR_CODES);
export type TrackerErrorCode = z.infer<typeof trackerErrorCodeSchema>;

export const errorMessageSchema = z.object({
  type: z.literal('error'),
  code: trackerErrorCodeSchema,
  message: z.string().max(1024),
  /** The `type` of the message that caused it, when known. */
  ref: z.string().max(32).optional(),
  /** Set when the tracker is about to close the connection. */
  fatal: z.boolean().optional(),
});
export type ErrorMessage = z.infer<typeof errorMessageSchema>;

export const pongMessageSchema = z.object({ type: z.literal('pong'), t: nonNegative.optional() });

export const serverMessageSchema = z.discriminatedUnion('type', [
  joinedMessageSchema,
  peersMessageSchema,
  serverSignalMessageSchema,
  electionMessageSchema,
  peerGoneMessageSchema,
  errorMessageSchema,
  pongMessageSchema,
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;
export type JoinedMessage = z.infer<typeof joinedMessageSchema>;
export type PeersMessage = z.infer<typeof peersMessageSchema>;
export type ServerSignalMessage = z.infer<typeof serverSignalMessageSchema>;

/** The signal a tracker relays: an offer carries the upload its sender announced on joining. */
export function relayedSignal(
  swarmId: string,
  from: string,
  signal: SignalPayload,
  senderUploadKbps: number,
): ServerSignalMessage {
  const message: ServerSignalMessage = { type: 'signal', swarmId, from, signal };
  if (signal.kind === 'offer') message.uploadKbps = senderUploadKbps;
  return message;
}

const clientTypes = new Set<string>(clientMessageSchema.options.map((o) => o.shape.type.value));

/**
 * Decode a frame a client sent. Never throws. The tracker's decoder (zod); a player decodes
 * what the tracker sends with `decodeServerMessage` (server-messages.ts), which needs no zod.
 */
export function decodeClientMessage(text: string): Result<ClientMessage> {
  const frame = readTrackerFrame(text, clientTypes);
  if (!frame.ok) return frame;
  const { type, body } = frame.value;
  const result = clientMessageSchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : type;
    return err('bad_message', `${type}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return ok(result.data);
}
