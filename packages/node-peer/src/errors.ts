import { CoralError } from '@coral-cdn/server-kit';

/**
 * What can go wrong starting a node peer, by `code`:
 *  - `playback_api`: the origin's playback API failed or answered something that is not
 *    playback info;
 *  - `master_playlist`: the master playlist could not be fetched or parsed;
 *  - `unknown_rendition`: the master playlist has no rendition of the requested name;
 *  - `destroyed`: the peer was destroyed while starting.
 */
export class NodePeerError extends CoralError {}
