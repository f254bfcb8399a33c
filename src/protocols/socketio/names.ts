/** The event a Socket.IO server emits rtbench's events as (--socketio-event changes it for a target). */
export const SOCKETIO_DEFAULT_EVENT = 'event';

/** The event a client emits to publish (--upstream protocol), acknowledged by the server. */
export const SOCKETIO_PUBLISH_EVENT = 'publish';

/** How Socket.IO clients reach the server: WebSocket at once, or polling first and then the upgrade. */
export const SOCKETIO_TRANSPORTS = ['websocket', 'upgrade'] as const;
export type SocketIoTransport = (typeof SOCKETIO_TRANSPORTS)[number];
