/*
 * hookspool-handler: the FastCGI responder. Arguments, config, the socket
 * and the accept loop live here; every decision about a request is made by
 * lib/intake.c, so it can be tested without FastCGI.
 *
 * Sockets: --listen HOST:PORT or a unix path (nginx, standalone); a socket
 * passed by systemd (LISTEN_FDS); else fd 0, as lighttpd, Apache mod_fcgid
 * and spawn-fcgi pass it.
 *
 * Connections are accepted by lib/conn.c, not by libfcgi: it checks each
 * request's first record, keeps the read deadline and holds stop signals back
 * while a request is served, so SIGTERM lets that request finish, then exits.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "intake.h"
#include "log.h"
#include "prefork.h"
#include "store.h"
#include "xmalloc.h"

#define LISTEN_BACKLOG 128
#define SYSTEMD_FIRST_FD 3
#define MAX_WORKERS 256

/* How long the response and the close may take once a request is answered. */
#define CLOSE_DEADLINE_MS 2000

static void usage(FILE *out)
{
    fprintf(out, "usage: hookspool-handler [--listen HOST:PORT | --listen /path/to.sock]\n"
                 "                         [--workers N] [--check-config]\n"
                 "Reads its config from $HOOKSPOOL_CONFIG (default %s).\n"
                 "--workers N: N processes share the socket, restarted when they die.\n",
            CONFIG_DEFAULT_PATH);
}

/* The listening socket: explicit, systemd's, or the one the web server gave us on fd 0. */
static int choose_socket(const char *listen_addr)
{
    const char *pid = getenv("LISTEN_PID");
    const char *fds = getenv("LISTEN_FDS");
    int fd;

    if (listen_addr != NULL) {
        fd = FCGX_OpenSocket(listen_addr, LISTEN_BACKLOG);
        if (fd < 0) {
            char msg[512];

            snprintf(msg, sizeof(msg), "unable to listen on '%s': %s", listen_addr,
                     strerror(errno));
            log_error("listen_failed", msg);
        }
        return fd;
    }
    if (pid != NULL && fds != NULL && atol(pid) == (long)getpid() && atoi(fds) >= 1)
        return SYSTEMD_FIRST_FD;
    if (FCGX_IsCGI()) {
        log_error("no_fastcgi_socket",
                  "stdin is not a FastCGI socket: start under a web server or spawn-fcgi, "
                  "or give --listen");
        return -1;
    }
    return 0;
}

/* The body through libfcgi; once it is read (or the read failed) the read deadline
 * ends, so the store calls that follow are bounded by the store's own timeout. */
static ssize_t read_fcgi_body(void *ctx, void *buf, size_t n)
{
    FCGX_Stream *in = ctx;
    int got = FCGX_GetStr(buf, n > 65536 ? 65536 : (int)n, in);

    if (got == 0 && (FCGX_GetError(in) != 0 || conn_deadline_passed())) {
        if (conn_deadline_disarm())
            log_event(LOG_WARN, "fcgi_read_timeout", NULL);
        return -1;
    }
    if (got == 0)
        conn_deadline_disarm();
    return got;
}

/* CONTENT_LENGTH as CGI gives it: decimal digits, else absent (-1). */
static long content_length(const char *s)
{
    long n = 0;

    if (s == NULL || s[0] == '\0' || strlen(s) > 18)
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        n = n * 10 + (*s - '0');
    }
    return n;
}

/* Strips the query from REQUEST_URI into a fresh string. */
static char *uri_path(const char *uri)
{
    return xstrndup(uri, strcspn(uri, "?"));
}

/*
 * Web servers split the path differently (lighttpd: SCRIPT_NAME + PATH_INFO,
 * mod_proxy_fcgi: all in SCRIPT_NAME, nginx: as configured), so take
 * REQUEST_URI's path when it names a route, else SCRIPT_NAME + PATH_INFO.
 */
static char *request_path(const struct config *cfg, FCGX_ParamArray envp)
{
    const char *uri = FCGX_GetParam("REQUEST_URI", envp);
    const char *script = FCGX_GetParam("SCRIPT_NAME", envp);
    const char *info = FCGX_GetParam("PATH_INFO", envp);
    char *from_uri = uri != NULL ? uri_path(uri) : NULL;
    char *joined;

    if (from_uri != NULL && config_source_by_path(cfg, from_uri) != NULL)
        return from_uri;
    joined = xasprintf("%s%s", script != NULL ? script : "", info != NULL ? info : "");
    if (joined[0] == '\0' && from_uri != NULL) {
        free(joined);
        return from_uri;
    }
    free(from_uri);
    return joined;
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        /* A source's own 2xx "response"; nothing else reaches here. */
        return "Success";
    }
}

static void serve_one(struct intake *in, FCGX_Request *request)
{
    struct intake_request req;
    struct intake_response resp;
    const char *length = FCGX_GetParam("CONTENT_LENGTH", request->envp);
    const char *query = FCGX_GetParam("QUERY_STRING", request->envp);
    const char *remote = FCGX_GetParam("REMOTE_ADDR", request->envp);
    const char *method = FCGX_GetParam("REQUEST_METHOD", request->envp);
    char *path = request_path(in->cfg, request->envp);

    req.method = method != NULL ? method : "";
    req.path = path;
    req.query = query != NULL ? query : "";
    req.remote_addr = remote != NULL ? remote : "";
    req.content_length = content_length(length);
    headers_init(&req.headers);
    for (char **p = request->envp; *p != NULL; p++) {
        const char *eq = strchr(*p, '=');
        char *name;

        if (eq == NULL)
            continue;
        name = xstrndup(*p, (size_t)(eq - *p));
        headers_add_cgi(&req.headers, name, eq + 1);
        free(name);
    }
    intake_handle(in, &req, read_fcgi_body, request->in, &resp);
    FCGX_FPrintF(request->out, "Status: %d %s\r\nCache-Control: no-store\r\n", resp.status,
                 reason_phrase(resp.status));
    /* nosniff on every body: a handshake echoes what the request sent. */
    if (resp.content_type != NULL)
        FCGX_FPrintF(request->out, "Content-Type: %s\r\nX-Content-Type-Options: nosniff\r\n",
                     resp.content_type);
    if (resp.retry_after_s > 0)
        FCGX_FPrintF(request->out, "Retry-After: %d\r\n", resp.retry_after_s);
    if (resp.allow != NULL)
        FCGX_FPrintF(request->out, "Allow: %s\r\n", resp.allow);
    FCGX_PutS("\r\n", request->out);
    if (resp.body_len > 0)
        FCGX_PutStr(resp.body, (int)resp.body_len, request->out);
    intake_response_free(&resp);
    headers_free(&req.headers);
    free(path);
}

/* Reads what is left of a body the answer did not need (a refusal, a GET), so the
 * connection can carry the next request. */
static void drain_body(FCGX_Stream *in)
{
    char drop[8192];

    while (FCGX_GetStr(drop, sizeof(drop), in) > 0)
        continue;
}

/*
 * Serves the requests of one connection until it closes. libfcgi reads and writes it;
 * it was given no listening socket, so when it gives up on the connection (a protocol
 * error, the deadline) it closes it and fails instead of accepting another.
 */
static void serve_connection(struct intake *in, FCGX_Request *request, int fd, long read_ms)
{
    for (;;) {
        enum conn_verdict verdict;

        conn_deadline_arm(fd, read_ms);
        verdict = conn_check_request(fd);
        if (verdict != CONN_SERVE) {
            conn_deadline_disarm();
            conn_close(fd);
            return;
        }
        request->ipcFd = fd;
        request->keepConnection = 1; /* else the accept would first close fd */
        request->detached = 1;       /* a failing accept closes fd without lingering */
        if (FCGX_Accept_r(request) < 0) {
            if (conn_deadline_disarm())
                log_event(LOG_WARN, "fcgi_read_timeout", NULL);
            else
                log_error("fcgi_request_dropped", "the FastCGI peer broke off or sent a "
                                                  "malformed request");
            if (request->ipcFd >= 0)
                close(request->ipcFd);
            request->ipcFd = -1;
            return;
        }
        if (request->role != CONN_ROLE_RESPONDER) {
            /* Only after a GET_VALUES, which conn_check_request leaves to libfcgi. */
            conn_deadline_disarm();
            log_error("fcgi_role_refused", "a request for a role other than RESPONDER");
            FCGX_Free(request, 1);
            return;
        }
        serve_one(in, request);
        /* The rest of an unread body, the answer and libfcgi's lingering close get a
         * deadline of their own. */
        conn_deadline_arm(fd, CLOSE_DEADLINE_MS);
        drain_body(request->in);
        if (FCGX_HasSeenEOF(request->in) != EOF || conn_stop_requested())
            request->keepConnection = 0; /* body not all read, or stopping: no next request */
        /* libfcgi lingers in its close (shutdown, then up to 2 s for the peer's end) unless
         * the request is "detached"; with the whole request read there is nothing to
         * linger for, and the process is free for the next connection at once. */
        request->detached = FCGX_HasSeenEOF(request->in) == EOF && conn_all_read(fd);
        FCGX_Finish_r(request);
        conn_deadline_disarm();
        if (request->ipcFd < 0)
            return;
        if (!conn_wait_request(fd, read_ms)) {
            /* Idle too long, or stopping: closed here, where the linger is bounded. */
            FCGX_Free(request, 0);
            request->ipcFd = -1;
            conn_close(fd);
            return;
        }
    }
}

int main(int argc, char **argv)
{
    const char *listen_addr = NULL;
    long workers = 1;
    int check_only = 0;
    struct config *cfg = NULL;
    struct store *store = NULL;
    struct intake in;
    FCGX_Request request;
    struct error err;
    int sock;
    int status = 2;

    error_clear(&err);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            listen_addr = argv[++i];
        } else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
            char *end;

            workers = strtol(argv[++i], &end, 10);
            if (*end != '\0' || workers < 1 || workers > MAX_WORKERS) {
                fprintf(stderr, "hookspool-handler: --workers takes 1..%d\n", MAX_WORKERS);
                return 2;
            }
        } else if (strcmp(argv[i], "--check-config") == 0) {
            check_only = 1;
        } else if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    /* The config and its secrets come from the environment, read before any accept. */
    cfg = config_load(config_path(NULL), &err);
    if (cfg == NULL) {
        log_error("config_invalid", err.msg);
        goto out;
    }
    if (check_only) {
        status = 0;
        goto out;
    }
    if (store_global_init(&err) != 0 || (store = store_open(&cfg->store, &err)) == NULL) {
        log_error("store_open_failed", err.msg);
        goto out;
    }
    if (FCGX_Init() != 0 || (sock = choose_socket(listen_addr)) < 0)
        goto out;
    if (conn_listen_prepare(sock, &err) != 0) {
        log_error("listen_failed", err.msg);
        goto out;
    }
    if (workers > 1) {
        int role = prefork_run((int)workers);

        if (role <= 0) {
            status = role == 0 ? 0 : 1;
            goto out;
        }
    }
    if (conn_signals_init(&err) != 0) {
        log_error("signals_failed", err.msg);
        goto out;
    }
    intake_init(&in, cfg, store);
    FCGX_InitRequest(&request, -1, 0);
    log_event(LOG_INFO, "handler_started", NULL);
    status = 0;
    while (!conn_stop_requested()) {
        int fd = conn_accept(sock, &err);

        if (fd == -2) {
            log_error("accept_failed", err.msg);
            status = 1;
            break;
        }
        if (fd < 0)
            break;
        serve_connection(&in, &request, fd, cfg->handler.read_timeout_ms);
    }
    FCGX_Free(&request, 1);
    log_event(LOG_INFO, "handler_stopped", NULL);
out:
    store_close(store);
    config_free(cfg);
    store_global_cleanup();
    return status;
}
