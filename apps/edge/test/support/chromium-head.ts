/**
 * The header lines Chromium 120+ sends with hls.js's fetch from a player on another origin,
 * in Chromium's order and case over HTTP/1.1 (the request line first, no blank line).
 */
export function chromiumHeadLines(
  path: string,
  options: { host?: string; mobile?: string; referer?: string } = {},
): string[] {
  return [
    `GET ${path} HTTP/1.1`,
    `Host: ${options.host ?? 'edge'}`,
    'Connection: keep-alive',
    'sec-ch-ua: "Not_A Brand";v="8", "Chromium";v="120", "Google Chrome";v="120"',
    `sec-ch-ua-mobile: ${options.mobile ?? '?0'}`,
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    'sec-ch-ua-platform: "Linux"',
    'Accept: */*',
    'Origin: https://player.example',
    'Sec-Fetch-Site: cross-site',
    'Sec-Fetch-Mode: cors',
    'Sec-Fetch-Dest: empty',
    `Referer: ${options.referer ?? 'https://player.example/'}`,
    'Accept-Encoding: gzip, deflate, br',
    'Accept-Language: en-US,en;q=0.9,de;q=0.8',
    'Priority: u=1, i',
  ];
}
