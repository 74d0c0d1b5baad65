/** RFC 7617 Basic credentials, as sent in Proxy-Authorization. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
