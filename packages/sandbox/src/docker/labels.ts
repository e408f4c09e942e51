/**
 * Labels on every container, network and volume the tool creates. The sweep finds leftovers of
 * dead runs by these; `owner-pid` and `owner-host` tell a dead run from a live concurrent one.
 */
export const LABEL_TOOL = 'dev.safe-install.tool';
export const LABEL_VERSION = 'dev.safe-install.version';
export const LABEL_RUN = 'dev.safe-install.run-id';
export const LABEL_OWNER_PID = 'dev.safe-install.owner-pid';
export const LABEL_OWNER_HOST = 'dev.safe-install.owner-host';
export const LABEL_STARTED = 'dev.safe-install.started';
/** `sandbox` or `gateway`. */
export const LABEL_ROLE = 'dev.safe-install.role';

export const TOOL_VERSION = '0.1.0';
