// The peer of bench/peer.sh: a webhook receiver as a Node.js service would write it,
// doing what hookspool's handler does for a GitHub source: read the body, check
// X-Hub-Signature-256 (HMAC-SHA256, timingSafeEqual), build an envelope of the same
// shape (request head, headers, body), PutObject it to pending/bench/<delivery id>
// and answer 202 once the store has it, 401 on a bad signature, 503 when the put
// fails.
//   PORT, S3_ENDPOINT (HOST:PORT), S3_BUCKET, S3_PREFIX, S3_ACCESS_KEY, S3_SECRET_KEY,
//   BENCH_SECRET
'use strict';
const crypto = require('node:crypto');
const fastify = require('fastify')({ logger: false, bodyLimit: 1024 * 1024 });
const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');

const s3 = new S3Client({
  endpoint: 'http://' + process.env.S3_ENDPOINT,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: process.env.S3_ACCESS_KEY, secretAccessKey: process.env.S3_SECRET_KEY },
});
const secret = process.env.BENCH_SECRET;
const prefix = process.env.S3_PREFIX;

fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) =>
  done(null, body));

fastify.post('/hooks/bench', async (req, reply) => {
  const body = req.body;
  const given = String(req.headers['x-hub-signature-256'] || '');
  const want = 'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex');
  if (given.length !== want.length || !crypto.timingSafeEqual(Buffer.from(given), Buffer.from(want))) {
    return reply.code(401).send({ error: 'bad signature', code: 'bad_signature' });
  }
  const key = String(req.headers['x-github-delivery'] || '');
  const headers = [];
  for (let i = 0; i < req.raw.rawHeaders.length; i += 2) {
    if (req.raw.rawHeaders[i].toLowerCase() !== 'x-hub-signature-256')
      headers.push([req.raw.rawHeaders[i], req.raw.rawHeaders[i + 1]]);
  }
  const envelope = JSON.stringify({
    v: 1, source: 'bench', key, received_at: new Date().toISOString(),
    request: { method: req.method, path: req.url, query: '', remote_addr: req.ip, headers },
    body: body.toString('utf8'), body_encoding: 'utf8',
  });
  try {
    await s3.send(new PutObjectCommand({
      Bucket: process.env.S3_BUCKET, Key: prefix + '/pending/bench/' + encodeURIComponent(key),
      Body: envelope, ContentType: 'application/json',
    }));
  } catch (e) {
    return reply.code(503).send({ error: String(e), code: 'store_unavailable' });
  }
  return reply.code(202).send({ status: 'accepted', source: 'bench', key });
});

fastify.get('/hooks/_health', async () => ({ status: 'ok' }));

fastify.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).catch((e) => {
  console.error(e);
  process.exit(1);
});
