/** Version of the tracker's JSON message set; sent in `join`, checked by the tracker. */
export const TRACKER_PROTOCOL_VERSION = 1;
/** Version byte that starts every binary peer frame (2: SIGNED frames carry live hashes). */
export const PEER_PROTOCOL_VERSION = 2;
/** Version of the signed integrity manifest format. */
export const INTEGRITY_MANIFEST_VERSION = 1;
