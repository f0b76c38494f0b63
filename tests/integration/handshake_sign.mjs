// Signs handshake requests the way each provider documents it, for
// tests/integration/lighttpd_handshakes.sh; prints curl header lines (or one
// value). Slack, Zoom and Twitch publish their rules but no signing library:
// Node's crypto follows the rule. Discord's Ed25519 signature is checked by
// discord-interactions' verifyKey before it is used.
//
//   slack SECRET BODYFILE | zoom SECRET BODYFILE | twitch SECRET BODYFILE
//   discord-key PEMFILE         a new key pair: private key to PEMFILE, prints the public hex
//   discord PEMFILE BODYFILE
//   zoom-token SECRET PLAIN     hex HMAC-SHA256 of PLAIN: Zoom's encryptedToken
//   twitter-crc SECRET TOKEN    "sha256=" + base64 HMAC-SHA256 of TOKEN
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [kind, ...args] = process.argv.slice(2);
const now = Math.floor(Date.now() / 1000);
const hmac = (key, data, enc) => crypto.createHmac('sha256', key).update(data).digest(enc);
const cat = (...parts) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
const out = (lines) => process.stdout.write(lines.join('\n') + '\n');

switch (kind) {
case 'slack': {
    const body = fs.readFileSync(args[1]);
    out([`X-Slack-Request-Timestamp: ${now}`,
         `X-Slack-Signature: v0=${hmac(args[0], cat(`v0:${now}:`, body), 'hex')}`]);
    break;
}
case 'zoom': {
    const body = fs.readFileSync(args[1]);
    out([`x-zm-request-timestamp: ${now}`,
         `x-zm-signature: v0=${hmac(args[0], cat(`v0:${now}:`, body), 'hex')}`]);
    break;
}
case 'twitch': {
    const body = fs.readFileSync(args[1]);
    const id = crypto.randomUUID();
    const ts = new Date().toISOString();
    out([`Twitch-Eventsub-Message-Id: ${id}`, 'Twitch-Eventsub-Message-Retry: 0',
         'Twitch-Eventsub-Message-Type: webhook_callback_verification',
         `Twitch-Eventsub-Message-Signature: sha256=${hmac(args[0], cat(id, ts, body), 'hex')}`,
         `Twitch-Eventsub-Message-Timestamp: ${ts}`, 'Twitch-Eventsub-Subscription-Type: channel.follow',
         'Twitch-Eventsub-Subscription-Version: 2']);
    break;
}
case 'discord-key': {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
    fs.writeFileSync(args[0], privateKey.export({ format: 'pem', type: 'pkcs8' }));
    out([Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url').toString('hex')]);
    break;
}
case 'discord': {
    const { verifyKey } = require('discord-interactions');
    const key = crypto.createPrivateKey(fs.readFileSync(args[0]));
    const body = fs.readFileSync(args[1]);
    const sig = crypto.sign(null, cat(String(now), body), key).toString('hex');
    const pub = Buffer.from(crypto.createPublicKey(key).export({ format: 'jwk' }).x, 'base64url');
    if (!(await verifyKey(body, sig, String(now), pub.toString('hex'))))
        throw new Error('discord-interactions refused the signature');
    out([`X-Signature-Ed25519: ${sig}`, `X-Signature-Timestamp: ${now}`]);
    break;
}
case 'zoom-token':
    out([hmac(args[0], args[1], 'hex')]);
    break;
case 'twitter-crc':
    out(['sha256=' + hmac(args[0], args[1], 'base64')]);
    break;
default:
    throw new Error(`unknown kind ${kind}`);
}
