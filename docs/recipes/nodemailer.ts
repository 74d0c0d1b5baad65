import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Chain } from '../../src/index.js';

/** nodemailer: `getSocket` hands over a connected socket, so it takes one from chain.connect(). */
export function mailTransport(chain: Chain, options: SMTPTransport.Options & { host: string; port: number }) {
  return nodemailer.createTransport({
    ...options,
    getSocket: (socketOptions, callback) => {
      const target = { host: socketOptions.host as string, port: socketOptions.port as number };
      chain.connect(target).then(
        (connection) => callback(null, { connection }),
        (error: Error) => callback(error),
      );
    },
  });
}
