// Signature test vectors made by each provider's own library (or, where a
// provider publishes none, by Node's crypto following the provider's
// documented rule, then checked by the provider's verifier where there is
// one). Prints a JSON array of cases to stdout; tests/helpers/sig_vectors.c
// checks each with hookspool's config_parse and sig_verify, and
// tests/integration/sig_vectors.sh sends each through the handler.
//
// Run from a directory whose node_modules holds the packages infra/deps.sh
// installs (the test links $HOOKSPOOL_CACHE/node/node_modules beside it).
//
// A case: { name, verify (the config's verify object), wrong (verify fields
// that must make it fail: another secret or key), query, headers [[n, v]],
// body, now, signature_headers (each one's absence must be refused),
// timestamped, unsigned_body (token schemes: the body is not signed) }.
import crypto from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const twilio = require('twilio');
const Stripe = require('stripe');
const { Webhook: SvixWebhook } = require('svix');
const { Webhook: StandardWebhook } = require('standardwebhooks');
const { Signature: HubSpotSignature } = require('@hubspot/api-client');
const { WebhooksHelper: SquareWebhooks } = require('square');
const { verifyKey: discordVerifyKey } = require('discord-interactions');
const { EventWebhook } = require('@sendgrid/eventwebhook');
const { Paddle } = require('@paddle/paddle-node-sdk');
const { sign: octokitSign, verify: octokitVerify } = await import('@octokit/webhooks-methods');
const { LinearWebhookClient } = await import('@linear/sdk/webhooks');

const now = Math.floor(Date.now() / 1000);
const cases = [];
const fail = (what) => {
    throw new Error(`provider library refused its own vector: ${what}`);
};
const hmac = (alg, key, data, enc) => crypto.createHmac(alg, key).update(data).digest(enc);
const json = (o) => JSON.stringify(o);

function add(c) {
    cases.push({ query: '', now, ...c });
}

// HMAC of the body in one header.
{
    const body = json({ action: 'opened', number: 1347 });
    const secret = 'octokit-secret';
    const sig = await octokitSign(secret, body);
    if (!(await octokitVerify(secret, body, sig))) fail('github');
    add({ name: 'github (@octokit/webhooks-methods)', verify: { scheme: 'github', secrets: [secret] },
          wrong: { secrets: ['another-secret'] }, headers: [['X-Hub-Signature-256', sig]], body,
          signature_headers: ['X-Hub-Signature-256'] });
    // Bitbucket and Meta send the same sha256=HEX of the body, in their own headers.
    add({ name: 'bitbucket (@octokit/webhooks-methods sha256=)', verify: { scheme: 'bitbucket', secrets: [secret] },
          wrong: { secrets: ['another-secret'] }, headers: [['X-Hub-Signature', sig]], body,
          signature_headers: ['X-Hub-Signature'] });
    add({ name: 'meta (@octokit/webhooks-methods sha256=)',
          verify: { scheme: 'meta', secrets: [secret], verify_token: 'meta-verify-token' },
          wrong: { secrets: ['another-secret'] }, headers: [['X-Hub-Signature-256', sig]], body,
          signature_headers: ['X-Hub-Signature-256'] });
    add({ name: 'gitea (hex of @octokit/webhooks-methods)', verify: { scheme: 'gitea', secrets: [secret] },
          wrong: { secrets: ['another-secret'] },
          headers: [['X-Gitea-Signature', sig.slice('sha256='.length)]], body,
          signature_headers: ['X-Gitea-Signature'] });
    add({ name: 'dropbox (hex of @octokit/webhooks-methods)', verify: { scheme: 'dropbox', secrets: [secret] },
          wrong: { secrets: ['another-secret'] },
          headers: [['X-Dropbox-Signature', sig.slice('sha256='.length)]], body,
          signature_headers: ['X-Dropbox-Signature'] });
}
{
    const body = json({ type: 'notification_event', topic: 'conversation.user.created' });
    add({ name: 'intercom (crypto, sha1=HEX)', verify: { scheme: 'intercom', secrets: ['intercom-secret'] },
          wrong: { secrets: ['another-secret'] },
          headers: [['X-Hub-Signature', 'sha1=' + hmac('sha1', 'intercom-secret', body, 'hex')]], body,
          signature_headers: ['X-Hub-Signature'] });
    add({ name: 'typeform (crypto, sha256=BASE64)', verify: { scheme: 'typeform', secrets: ['typeform-secret'] },
          wrong: { secrets: ['another-secret'] },
          headers: [['Typeform-Signature', 'sha256=' + hmac('sha256', 'typeform-secret', body, 'base64')]],
          body, signature_headers: ['Typeform-Signature'] });
    add({ name: 'woocommerce (crypto, BASE64)', verify: { scheme: 'woocommerce', secrets: ['woo-secret'] },
          wrong: { secrets: ['another-secret'] },
          headers: [['X-WC-Webhook-Signature', hmac('sha256', 'woo-secret', body, 'base64')]], body,
          signature_headers: ['X-WC-Webhook-Signature'] });
    add({ name: 'shopify (crypto, BASE64)', verify: { scheme: 'shopify', secrets: ['shopify-secret'] },
          wrong: { secrets: ['another-secret'] },
          headers: [['X-Shopify-Hmac-Sha256', hmac('sha256', 'shopify-secret', body, 'base64')]], body,
          signature_headers: ['X-Shopify-Hmac-Sha256'] });
    add({ name: 'twitter (crypto, sha256=BASE64)', verify: { scheme: 'twitter', secrets: ['consumer-secret'] },
          wrong: { secrets: ['another-secret'] },
          headers: [['X-Twitter-Webhooks-Signature', 'sha256=' + hmac('sha256', 'consumer-secret', body, 'base64')]],
          body, signature_headers: ['X-Twitter-Webhooks-Signature'] });
    add({ name: 'hmac sha512 base64 with prefix (crypto)',
          verify: { scheme: 'hmac', secrets: ['generic'], header: 'X-Sig', algorithm: 'sha512',
                    encoding: 'base64', prefix: 'v=' },
          wrong: { secrets: ['another-secret'] },
          headers: [['X-Sig', 'v=' + hmac('sha512', 'generic', body, 'base64')]], body,
          signature_headers: ['X-Sig'] });
}

// Shared tokens.
add({ name: 'gitlab (token)', verify: { scheme: 'gitlab', secrets: ['gitlab-token'] },
      wrong: { secrets: ['another-token'] }, headers: [['X-Gitlab-Token', 'gitlab-token']],
      body: json({ object_kind: 'push' }), signature_headers: ['X-Gitlab-Token'], unsigned_body: true });
add({ name: 'token', verify: { scheme: 'token', secrets: ['t0ken'], header: 'X-Token' },
      wrong: { secrets: ['another-token'] }, headers: [['X-Token', 't0ken']],
      body: json({ n: 1 }), signature_headers: ['X-Token'], unsigned_body: true });
add({ name: 'postmark (basic auth)', verify: { scheme: 'postmark', secrets: ['hooks:p0stmark'] },
      wrong: { secrets: ['hooks:other'] },
      headers: [['Authorization', 'Basic ' + Buffer.from('hooks:p0stmark').toString('base64')]],
      body: json({ RecordType: 'Delivery' }), signature_headers: ['Authorization'], unsigned_body: true });

// Timestamped HMACs.
{
    const body = json({ type: 'Issue', action: 'create', webhookTimestamp: Date.now() });
    const sig = hmac('sha256', 'linear-secret', body, 'hex');
    if (!new LinearWebhookClient('linear-secret').verify(Buffer.from(body), sig)) fail('linear');
    add({ name: 'linear (crypto, checked by @linear/sdk)', verify: { scheme: 'linear', secrets: ['linear-secret'] },
          wrong: { secrets: ['another-secret'] }, headers: [['Linear-Signature', sig]], body,
          signature_headers: ['Linear-Signature'], timestamped: true });
}
{
    const body = 'token=xyz&team_id=T1&command=%2Fhook&text=hello+world';
    const sig = 'v0=' + hmac('sha256', 'slack-secret', `v0:${now}:${body}`, 'hex');
    add({ name: 'slack (crypto, v0)', verify: { scheme: 'slack', secrets: ['slack-secret'] },
          wrong: { secrets: ['another-secret'] },
          headers: [['X-Slack-Request-Timestamp', String(now)], ['X-Slack-Signature', sig]], body,
          signature_headers: ['X-Slack-Signature', 'X-Slack-Request-Timestamp'], timestamped: true });
}
{
    const body = json({ event: 'meeting.started', payload: { object: { id: '1' } }, event_ts: now * 1000 });
    const sig = 'v0=' + hmac('sha256', 'zoom-secret-token', `v0:${now}:${body}`, 'hex');
    add({ name: 'zoom (crypto, v0)', verify: { scheme: 'zoom', secrets: ['zoom-secret-token'] },
          wrong: { secrets: ['another-secret'] },
          headers: [['x-zm-request-timestamp', String(now)], ['x-zm-signature', sig]], body,
          signature_headers: ['x-zm-signature', 'x-zm-request-timestamp'], timestamped: true });
}
{
    const body = json({ subscription: { type: 'channel.follow' }, event: { user_id: '1337' } });
    const id = 'e76c6bd4-55c9-4987-8304-da1588d8988b';
    // RFC 3339 with nanoseconds, as Twitch sends it.
    const ts = new Date(now * 1000).toISOString().replace(/\.\d+Z$/, '.634234626Z');
    const sig = 'sha256=' + hmac('sha256', 'twitch-secret', id + ts + body, 'hex');
    add({ name: 'twitch (crypto, id + timestamp + body)', verify: { scheme: 'twitch', secrets: ['twitch-secret'] },
          wrong: { secrets: ['another-secret'] },
          headers: [['Twitch-Eventsub-Message-Id', id], ['Twitch-Eventsub-Message-Timestamp', ts],
                    ['Twitch-Eventsub-Message-Type', 'notification'],
                    ['Twitch-Eventsub-Message-Signature', sig]],
          body, signature_headers: ['Twitch-Eventsub-Message-Signature', 'Twitch-Eventsub-Message-Id',
                                    'Twitch-Eventsub-Message-Timestamp'], timestamped: true });
}
{
    const body = json({ id: 'evt_1', object: 'event', type: 'charge.succeeded' });
    const secret = 'whsec_stripe_test';
    const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: now });
    Stripe.webhooks.constructEvent(body, header, secret);
    add({ name: 'stripe (stripe generateTestHeaderString)', verify: { scheme: 'stripe', secrets: [secret] },
          wrong: { secrets: ['whsec_other'] }, headers: [['Stripe-Signature', header]], body,
          signature_headers: ['Stripe-Signature'], timestamped: true });
}
{
    const body = json({ event_id: 'evt_01', event_type: 'transaction.completed' });
    const secret = 'pdl_ntfset_01_secret';
    const header = `ts=${now};h1=${hmac('sha256', secret, `${now}:${body}`, 'hex')}`;
    if (!(await new Paddle('pdl_test_key').webhooks.isSignatureValid(body, secret, header))) fail('paddle');
    add({ name: 'paddle (crypto, checked by @paddle/paddle-node-sdk)', verify: { scheme: 'paddle', secrets: [secret] },
          wrong: { secrets: ['pdl_other'] }, headers: [['Paddle-Signature', header]], body,
          signature_headers: ['Paddle-Signature'], timestamped: true });
}
{
    const body = json({ type: 'user.created', data: { id: 1 } });
    const secret = 'whsec_' + Buffer.from('standard webhooks test key').toString('base64');
    const other = 'whsec_' + Buffer.from('another key').toString('base64');
    const sw = new StandardWebhook(secret);
    const sig = sw.sign('msg_sw1', new Date(now * 1000), body);
    add({ name: 'standard-webhooks (standardwebhooks sign)', verify: { scheme: 'standard-webhooks', secrets: [secret] },
          wrong: { secrets: [other] },
          headers: [['webhook-id', 'msg_sw1'], ['webhook-timestamp', String(now)], ['webhook-signature', sig]],
          body, signature_headers: ['webhook-id', 'webhook-timestamp', 'webhook-signature'], timestamped: true });
    const sx = new SvixWebhook(secret);
    const sxsig = sx.sign('msg_sx1', new Date(now * 1000), body);
    add({ name: 'svix (svix sign)', verify: { scheme: 'svix', secrets: [secret] }, wrong: { secrets: [other] },
          headers: [['svix-id', 'msg_sx1'], ['svix-timestamp', String(now)], ['svix-signature', sxsig]],
          body, signature_headers: ['svix-id', 'svix-timestamp', 'svix-signature'], timestamped: true });
}

// The public URL is signed.
{
    const url = 'https://hooks.example.com/hooks/hubspot';
    const query = 'portal=62515&kind=crm';
    const body = json([{ eventId: 1, subscriptionType: 'contact.creation', objectId: 123 }]);
    const ts = String(now * 1000);
    const sig = HubSpotSignature.getSignature('POST', 'v3', {
        clientSecret: 'hubspot-client-secret', requestBody: body, url: `${url}?${query}`, timestamp: ts });
    add({ name: 'hubspot v3 (@hubspot/api-client getSignature)',
          verify: { scheme: 'hubspot', secrets: ['hubspot-client-secret'], public_url: url },
          wrong: { secrets: ['another-secret'] }, query,
          headers: [['X-HubSpot-Signature-v3', sig], ['X-HubSpot-Request-Timestamp', ts]], body,
          signature_headers: ['X-HubSpot-Signature-v3', 'X-HubSpot-Request-Timestamp'], timestamped: true });
}
{
    const url = 'https://hooks.example.com/hooks/square';
    const body = json({ merchant_id: 'M1', type: 'payment.updated', event_id: 'e1' });
    const sig = hmac('sha256', 'square-signature-key', url + body, 'base64');
    if (!(await SquareWebhooks.verifySignature({ requestBody: body, signatureHeader: sig,
                                                 signatureKey: 'square-signature-key', notificationUrl: url })))
        fail('square');
    add({ name: 'square (crypto, checked by square WebhooksHelper)',
          verify: { scheme: 'square', secrets: ['square-signature-key'], public_url: url },
          wrong: { secrets: ['another-key'] }, headers: [['x-square-hmacsha256-signature', sig]], body,
          signature_headers: ['x-square-hmacsha256-signature'] });
}
{
    const url = 'https://hooks.example.com/hooks/twilio';
    const query = 'site=main';
    const params = { CallSid: 'CA1234567890ABCDE', From: '+14158675310', To: '+18005551212',
                     Body: 'Hello & welcome: 100% sure?' };
    const body = new URLSearchParams(params).toString();
    const sig = twilio.getExpectedTwilioSignature('twilio-auth-token', `${url}?${query}`, params);
    if (!twilio.validateRequest('twilio-auth-token', sig, `${url}?${query}`, params)) fail('twilio');
    add({ name: 'twilio form (twilio getExpectedTwilioSignature)',
          verify: { scheme: 'twilio', secrets: ['twilio-auth-token'], public_url: url },
          wrong: { secrets: ['another-token'] }, query,
          headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['X-Twilio-Signature', sig]], body,
          signature_headers: ['X-Twilio-Signature'] });
    const jbody = json({ event: 'message.sent', sid: 'SM1' });
    const jquery = `bodySHA256=${crypto.createHash('sha256').update(jbody).digest('hex')}`;
    const jsig = twilio.getExpectedTwilioSignature('twilio-auth-token', `${url}?${jquery}`, {});
    if (!twilio.validateRequestWithBody('twilio-auth-token', jsig, `${url}?${jquery}`, jbody)) fail('twilio json');
    add({ name: 'twilio json bodySHA256 (twilio validateRequestWithBody)',
          verify: { scheme: 'twilio', secrets: ['twilio-auth-token'], public_url: url },
          wrong: { secrets: ['another-token'] }, query: jquery,
          headers: [['X-Twilio-Signature', jsig]], body: jbody, signature_headers: ['X-Twilio-Signature'] });
}
for (const scheme of ['mandrill', 'mailchimp']) {
    // Mandrill publishes no library for this: its documented rule, URL + each
    // POST key and value sorted by key, HMAC-SHA1, base64.
    const url = 'https://hooks.example.com/hooks/mandrill';
    const events = json([{ event: 'send', msg: { email: 'a@example.com' } }]);
    const body = new URLSearchParams({ mandrill_events: events }).toString();
    const sig = hmac('sha1', 'mandrill-webhook-key', url + 'mandrill_events' + events, 'base64');
    add({ name: `${scheme} (crypto, documented rule)`,
          verify: { scheme, secrets: ['mandrill-webhook-key'], public_url: url },
          wrong: { secrets: ['another-key'] },
          headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['X-Mandrill-Signature', sig]], body,
          signature_headers: ['X-Mandrill-Signature'] });
}

// Key pairs.
{
    // A webhook event (type 1 with its event): a PING would be answered, not stored.
    const body = json({ version: 1, application_id: '2', type: 1,
                        event: { type: 'APPLICATION_AUTHORIZED', timestamp: '2024-10-18T14:42:53.064834', data: {} } });
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
    const other = crypto.generateKeyPairSync('ed25519').publicKey;
    const hex = (k) => Buffer.from(k.export({ format: 'jwk' }).x, 'base64url').toString('hex');
    const sig = crypto.sign(null, Buffer.from(String(now) + body), privateKey).toString('hex');
    if (!(await discordVerifyKey(body, sig, String(now), hex(publicKey)))) fail('discord');
    add({ name: 'discord (Ed25519, checked by discord-interactions)',
          verify: { scheme: 'discord', public_key: hex(publicKey) }, wrong: { public_key: hex(other) },
          headers: [['X-Signature-Ed25519', sig], ['X-Signature-Timestamp', String(now)]], body,
          signature_headers: ['X-Signature-Ed25519', 'X-Signature-Timestamp'], timestamped: true });
}
{
    const body = json([{ email: 'a@example.com', event: 'delivered', sg_event_id: 'e1' }]) + '\r\n';
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const other = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    const spki = (k) => k.export({ format: 'der', type: 'spki' }).toString('base64');
    const sig = crypto.sign('sha256', Buffer.from(String(now) + body), privateKey).toString('base64');
    const ew = new EventWebhook();
    if (!ew.verifySignature(ew.convertPublicKeyToECDSA(spki(publicKey)), body, sig, String(now))) fail('sendgrid');
    add({ name: 'sendgrid (ECDSA P-256, checked by @sendgrid/eventwebhook)',
          verify: { scheme: 'sendgrid', public_key: spki(publicKey) }, wrong: { public_key: spki(other) },
          headers: [['X-Twilio-Email-Event-Webhook-Signature', sig],
                    ['X-Twilio-Email-Event-Webhook-Timestamp', String(now)]],
          body, signature_headers: ['X-Twilio-Email-Event-Webhook-Signature',
                                    'X-Twilio-Email-Event-Webhook-Timestamp'], timestamped: true });
}

process.stdout.write(JSON.stringify(cases, null, 1) + '\n');
