/** Something the lab cannot do here: missing privileges, programs, or a command that failed. */
export class LabError extends Error {
  override name = 'LabError';
}
