/** Base of Coral's typed errors: a stable machine-readable `code` plus a human message. */
export class CoralError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration value is missing or invalid. `variable` names the env var. */
export class ConfigError extends CoralError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super('config_invalid', `${variable}: ${message}`);
  }
}
