export { createLab, checkLabAllowed, type Lab, type LabOptions } from './lab.js';
export { launchChromiumInHome, type HomeBrowserOptions } from './chromium.js';
export {
  startCoturn,
  coturnArgs,
  turnCredentials,
  type Coturn,
  type CoturnOptions,
} from './coturn.js';
export { stunBinding } from './stun.js';
export { teardownLab, teardownStaleLabs, labRunIds } from './teardown.js';
export { LabError } from './errors.js';
export {
  addressesOf,
  homeCommands,
  shapingCommands,
  validateSpec,
  wanCommands,
  type HomeSpec,
  type LabSpec,
  type NatKind,
  type HomeAddresses,
  type LabAddresses,
} from './plan.js';
export {
  labIceEnv,
  spawnAppOn,
  startLabStack,
  type LabStack,
  type LabStackOptions,
} from './stack.js';
