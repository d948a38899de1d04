/// `keel doc acme`.
enum ACMECertificateDocumentation {
    static let documentation = ModuleDocumentation(
        summary: "A certificate from an ACME CA (Let's Encrypt) on the host, issued, kept and renewed in one task",
        description: """
            Runs RFC 8555 from the controller: account (ES256, created or found; external account binding when the CA \
            wants it), order, HTTP-01 for every name, finalize with a CSR for the host's private key, download with the \
            chain. The private key is made on the first run (mode 0600) and kept. A certificate is ordered only when it is \
            missing, not for exactly `domains`, not for the key, within `remaining_days` of its end, or inside the renewal \
            window the CA suggests through ACME Renewal Information (ARI, when the directory offers `renewalInfo`). \
            Files are written atomically and only once the CA delivered: a failed order leaves every file as it was. \
            The task is `changed` only when a file changed, so `notify: reload haproxy` reloads only then. \
            Check mode reads the files (and asks ARI, a GET) and reports `would issue`, `would renew (expires in N days)` \
            or ok in `msg`; it never orders anything. \
            HTTP-01 is answered by a file under `webroot`, or by HAProxy itself (`challenge_responder: haproxy`): the key \
            authorization is added to a map through the admin socket and the frontend on port 80 answers from it, so a \
            running HAProxy needs neither a reload nor a second web server. Errors from the CA are shown as its problem \
            document: type, detail, and one line per subproblem (the validation error of each name). \
            The controller trusts the system's CA store for the directory, or `ca_path`.
            """,
        examples: """
            # HAProxy answers the challenge; the frontend on :80 needs (once, before the first order):
            #   http-request return status 200 content-type text/plain lf-string "%[path,field(4,/),map(/etc/haproxy/acme-challenge.map)]" if { path_beg /.well-known/acme-challenge/ } { path,field(4,/),map(/etc/haproxy/acme-challenge.map) -m found }
            # and the map file must exist (it may be empty); the global section: stats socket /run/haproxy/admin.sock level admin
            - acme:
                domains: [example.com, www.example.com]
                acme_directory: https://acme-v02.api.letsencrypt.org/directory
                account_email: hostmaster@example.com
                terms_agreed: true
                challenge_responder: haproxy
                privatekey_path: /etc/haproxy/certs/example.com.key
                fullchain_dest: /etc/haproxy/certs/example.com.fullchain.pem
                combined_dest: /etc/haproxy/certs/example.com.pem
              notify: reload haproxy

            # A web server serving /var/www/html answers the challenge:
            - acme:
                domains: [example.com]
                acme_directory: https://acme-staging-v02.api.letsencrypt.org/directory
                terms_agreed: true
                webroot: /var/www/html
                privatekey_path: /etc/ssl/private/example.com.key
                dest: /etc/ssl/certs/example.com.crt
                chain_dest: /etc/ssl/certs/example.com.chain.crt
                remaining_days: 30
            """,
        deviations: [
            "One task instead of community.crypto.acme_certificate's two (challenge data, then a second call): the module answers the challenge itself.",
            "The CSR is made from `domains` and `privatekey_path` (no `csr` or `csr_content`); the key is created when missing (`privatekey_type`, default ecdsa256).",
            "Only http-01 (no dns-01, tls-alpn-01); no IP identifiers, no wildcards (they need dns-01).",
            "The account key stays on the controller: `account_key_src`/`account_key_content`, or one Keel keeps per directory in its state directory; it must be a P-256 key (ES256).",
            "`combined_dest` (certificate, chain and key in one 0600 file, HAProxy's format) is Keel's; `select_crypto_backend`, `modify_account`, `account_uri`, `retrieve_all_alternates`, `deactivate_authzs` and `data` do not exist.",
            "The files are written as the connecting user, the key and `combined_dest` 0600, the others 0644: no mode, owner or group options.",
            "ARI (RFC 9773) is asked when the CA offers it and renews inside its window, in addition to remaining_days; orders for a renewal carry `replaces`.",
        ])
}
