import { webcrypto } from 'node:crypto';
import {
  adaptWebSocket,
  createFetchHttpClient,
  type Clock,
  type EnginePlatform,
  type LogLevel,
  type PeerConnectionLike,
  type StandardWebSocket,
} from '@coral-cdn/p2p-engine';
import WebSocket from 'ws';
import {
  createWeriftPeerConnection,
  type WeriftPeerConnectionOptions,
} from './werift-peer-connection.js';

/** The engine's host on Node: real time, global fetch, `ws`, node:crypto and werift. */
export interface NodePlatformOptions extends WeriftPeerConnectionOptions {
  log?: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;
  /** Replaces werift (tests of the platform itself); default: a werift connection. */
  createPeerConnection?: () => PeerConnectionLike;
}

export const nodeClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (id) => clearTimeout(id as Parameters<typeof clearTimeout>[0]),
};

export function createNodePlatform(options: NodePlatformOptions = {}): EnginePlatform {
  const http = createFetchHttpClient({
    fetch,
    clock: nodeClock,
    createAbortController: () => new AbortController(),
  });
  const { log, createPeerConnection: custom, ...werift } = options;
  const createPeerConnection = custom ?? (() => createWeriftPeerConnection(werift));
  return {
    clock: nodeClock,
    http,
    createWebSocket: (url) => {
      const socket = new WebSocket(url);
      // A failed connect is reported through onerror/onclose; never as an uncaught 'error'.
      socket.on('error', () => undefined);
      return adaptWebSocket(socket as unknown as StandardWebSocket);
    },
    createPeerConnection,
    subtle: webcrypto.subtle,
    random: Math.random,
    ...(log ? { log } : {}),
  };
}
