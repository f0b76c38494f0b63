#!/usr/bin/env python3
"""Sends N signed GitHub webhooks to a FastCGI handler, one connection each, as
lighttpd does (no FCGI_KEEP_CONN); every answer must be 202.

    fcgi_webhooks.py HOST:PORT N SECRET [PATH]

The body is about 1 KiB of GitHub-like JSON, the headers those GitHub sends,
each delivery id distinct. Used by bench/profile.sh to count the handler's
instructions per webhook.
"""
import hashlib
import hmac
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
import fcgi_client as fc  # noqa: E402


def body(i):
    doc = {"action": "opened", "number": i,
           "pull_request": {"title": "Fix the \"quoted\" path\tin C:\\temp", "body": "line\nnext",
                            "user": {"login": "octocat", "id": 583231}, "labels": ["bug", "ü"]},
           "repository": {"full_name": "octo-org/hello-world", "private": False},
           "pad": "x" * 700}
    return json.dumps(doc, ensure_ascii=False).encode()


def main():
    addr, n, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
    path = sys.argv[4] if len(sys.argv) > 4 else "/hooks/github"
    for i in range(n):
        b = body(i)
        sig = hmac.new(secret, b, hashlib.sha256).hexdigest()
        extra = ["HTTP_USER_AGENT=GitHub-Hookshot/044aadd", "HTTP_ACCEPT=*/*",
                 "HTTP_X_GITHUB_EVENT=pull_request",
                 "HTTP_X_GITHUB_DELIVERY=72d3162e-cc78-11e3-81ab-4c9367dc%04d" % i,
                 "HTTP_X_GITHUB_HOOK_ID=292430182",
                 "HTTP_X_GITHUB_HOOK_INSTALLATION_TARGET_ID=79929171",
                 "HTTP_X_GITHUB_HOOK_INSTALLATION_TARGET_TYPE=repository",
                 "HTTP_X_HUB_SIGNATURE_256=sha256=" + sig]
        answer = fc.request(addr, path, b, extra)
        if not answer.startswith("status=202"):
            sys.exit("webhook %d: %s" % (i, answer))


if __name__ == "__main__":
    main()
