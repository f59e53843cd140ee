import { z } from 'zod';
import {
  parseSwarmId,
  PEER_ID_PATTERN,
  REGION_PATTERN,
  RENDITION_PATTERN,
  STREAM_ID_PATTERN,
  MAX_SEQUENCE,
} from './ids.js';

/** zod schemas of the ids, for the servers; browsers decode with `decode-checks.ts`. */
export const streamIdSchema = z
  .string()
  .regex(STREAM_ID_PATTERN, 'stream id: 1-64 of [A-Za-z0-9_-]');
export const renditionSchema = z
  .string()
  .regex(RENDITION_PATTERN, 'rendition: 1-32 of [A-Za-z0-9_-]');
export const peerIdSchema = z.string().regex(PEER_ID_PATTERN, 'peer id: 8-64 of [A-Za-z0-9_-]');
export const regionSchema = z.string().regex(REGION_PATTERN, 'region: 1-32 of [a-z0-9-]');
export const sequenceSchema = z.number().int().min(0).max(MAX_SEQUENCE);
export const swarmIdSchema = z
  .string()
  .max(97)
  .refine((value) => parseSwarmId(value).ok, 'swarm id: <streamId>/<rendition>');
