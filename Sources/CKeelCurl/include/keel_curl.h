#ifndef KEEL_CURL_H
#define KEEL_CURL_H
#include <stddef.h>

/// A growing byte buffer filled by libcurl's callbacks; free with keel_curl_buffer_free.
typedef struct {
    char *data;
    size_t length;
} keel_curl_buffer;

/// What one request needs. `ca_file` NULL: the system's trust store. `verify` 0: no certificate checks.
typedef struct {
    const char *method;
    const char *url;
    const char *const *headers;   /// "Name: value" lines
    size_t header_count;
    const void *body;             /// NULL: no body
    size_t body_length;
    const char *ca_file;
    int verify;
    long timeout_seconds;
    const char *user_agent;
} keel_curl_request;

/// Performs the request. Returns 0 and fills status, headers (raw, every response block) and body; or
/// returns curl's error code with a message in `error` (at least 256 bytes).
int keel_curl_perform(const keel_curl_request *request, long *status, keel_curl_buffer *headers,
                      keel_curl_buffer *body, char *error);

void keel_curl_buffer_free(keel_curl_buffer *buffer);

#endif
