#include "keel_curl.h"
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

// curl_global_init is not thread-safe: run it once.
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static void global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static size_t append(char *data, size_t size, size_t count, void *user) {
    keel_curl_buffer *buffer = user;
    size_t n = size * count;
    char *grown = realloc(buffer->data, buffer->length + n + 1);
    if (!grown) return 0;
    memcpy(grown + buffer->length, data, n);
    buffer->data = grown;
    buffer->length += n;
    buffer->data[buffer->length] = 0;
    return n;
}

int keel_curl_perform(const keel_curl_request *r, long *status, keel_curl_buffer *headers,
                      keel_curl_buffer *body, char *error) {
    pthread_once(&global_once, global_init);
    error[0] = 0;
    CURL *curl = curl_easy_init();
    if (!curl) { strcpy(error, "curl_easy_init failed"); return -1; }
    char errbuf[CURL_ERROR_SIZE] = {0};
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < r->header_count; i++) list = curl_slist_append(list, r->headers[i]);
    curl_easy_setopt(curl, CURLOPT_URL, r->url);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, r->timeout_seconds);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, r->timeout_seconds);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (r->user_agent) curl_easy_setopt(curl, CURLOPT_USERAGENT, r->user_agent);
    if (strcmp(r->method, "HEAD") == 0) curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    else if (strcmp(r->method, "GET") != 0) curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, r->method);
    if (r->body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)r->body_length);
    }
    if (r->ca_file) curl_easy_setopt(curl, CURLOPT_CAINFO, r->ca_file);
    if (!r->verify) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, append);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    CURLcode code = curl_easy_perform(curl);
    if (code == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    else {
        const char *text = errbuf[0] ? errbuf : curl_easy_strerror(code);
        strncpy(error, text, 255);
        error[255] = 0;
    }
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return (int)code;
}

void keel_curl_buffer_free(keel_curl_buffer *buffer) {
    free(buffer->data);
    buffer->data = NULL;
    buffer->length = 0;
}
