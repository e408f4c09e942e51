/**
 * @safe-install/gateway: the sandbox's only way out. The forwarder runs inside the sandbox and
 * relays loopback traffic over a unix socket; the gateway runs in its own container and decides.
 * Runtime code uses node builtins only (the package is copied into images as is).
 */
export { startGateway, GatewayConfigError, type GatewayOptions, type StartedGateway } from './gateway/server.js';
export type { GatewayEvent, GatewayHttpEvent, GatewayDecoyEvent } from './gateway/event-log.js';
export { startForwarder, DEFAULT_FORWARDER_LISTEN, type BoundAddress, type ForwarderOptions, type IdentifyClient, type IdentifyQuery, type ListenAddress, type StartedForwarder } from './forwarder/forwarder.js';
export { createProcNetIdentify, socketInodeOf } from './forwarder/identify.js';
export { validateGatewayConfig, DEFAULT_LIMITS, DEFAULT_ADVERTISED_ORIGIN, type GatewayConfig, type GatewayLimits, type RegistryAuth, type RegistryUpstreamConfig, type TrustStoreConfig, type ValidationResult } from './config.js';
export * from './protocol.js';
export * from './dns/message.js';
export * from './dns/framing.js';
export * from './tls/client-hello.js';
export * from './http/request-head.js';
export * from './http/chunked.js';
export * from './http/route.js';
export * from './canary/matcher.js';
export * from './proc-net/parse.js';
export * from './registry/rules.js';
export * from './registry/rewrite.js';
export * from './egress/allow.js';
export { isForbiddenDestination } from './net/address.js';
