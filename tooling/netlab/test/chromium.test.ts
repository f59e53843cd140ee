import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, launchChromiumInHome, type Lab } from '../src/index.js';

describe('Chromium in a lab home', () => {
  let lab: Lab;
  let server: Server;
  let origin: string;
  beforeAll(async () => {
    lab = await createLab({ homes: [{ nat: 'cone' }] });
    server = createServer((_req, res) => res.end('<!doctype html><title>lab</title>'));
    await new Promise<void>((resolve) => server.listen(0, lab.servicesIp, resolve));
    origin = `http://${lab.servicesIp}:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server?.close();
    lab?.destroy();
  });

  const secureContext = async (secureOrigins: string[]) => {
    const browser = await launchChromiumInHome(lab, 1, { secureOrigins });
    try {
      const page = await browser.newPage();
      await page.goto(origin);
      return await page.evaluate(() => {
        const page = globalThis as unknown as {
          isSecureContext: boolean;
          crypto?: { subtle?: { digest?: unknown } };
        };
        return {
          secure: page.isSecureContext,
          subtle: typeof page.crypto?.subtle?.digest === 'function',
        };
      });
    } finally {
      await browser.close();
    }
  };

  it('reaches the services through its NAT, and gets WebCrypto only for origins it treats as secure', async () => {
    // A plain-http page on a public address is no secure context: no crypto.subtle.
    expect(await secureContext([])).toEqual({ secure: false, subtle: false });
    expect(await secureContext([origin])).toEqual({ secure: true, subtle: true });
  });
});
