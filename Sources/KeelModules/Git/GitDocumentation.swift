/// What `keel doc git` prints besides the argument table.
enum GitDocumentation {
    static let module = ModuleDocumentation(
        summary: "Deploy software (or files) from git checkouts",
        description: """
            Clones the repository into dest, or moves an existing checkout to `version` (a branch, a tag, a commit \
            id, or HEAD: the remote's default branch). The result carries `before` and `after` (commit ids) and, \
            for an existing checkout, `remote_url_changed`. The task changes when the checked-out commit moves, \
            when the remote URL changes, when submodules move, or when local modifications are discarded.

            Local modifications of tracked files fail the task (in check mode too) unless `force: true`, which \
            discards them (`git reset --hard`); untracked files are left alone and are not modifications.

            One observation reads the checkout and lists the remote's refs with a single `git ls-remote`: check \
            mode reports the commit a real run would move to (`after`) without fetching anything into the tree, \
            and a checkout already at the remote's commit is `ok` without a fetch.

            SSH: git runs `ssh -o BatchMode=yes` (never a prompt), with `-i KEY -o IdentitiesOnly=yes` for \
            `key_file` and `ssh_opts` appended. The host's known_hosts decide whether the server is trusted: an \
            unknown or changed host key fails the task. `accept_newhostkey` records an unknown key and still \
            refuses a changed one; `accept_hostkey` (or ssh_opts turning StrictHostKeyChecking off) accepts any \
            key, because the task says so, and the result then carries a warning.
            """,
        examples: """
            - name: The app at the branch of this environment, with a deploy key
              git:
                repo: git@git.example.com:shop/app.git
                dest: /srv/app/checkout
                version: "{{ app_branch }}"
                key_file: /etc/keel/deploy_key
                accept_newhostkey: true
              register: checkout
            - git: repo=https://github.com/ansible/ansible.git dest=/src/ansible version=v2.19.0 depth=1
            - git:
                repo: /srv/git/app.git
                dest: /srv/app/export
                version: 6f1c2ab4e0e8f1b0c7d8a9b2c3d4e5f6a7b8c9d0
                archive: /srv/app/app.tar.gz
            """,
        deviations: [
            "A checkout already at the remote's commit is not fetched (Ansible fetches on every run); tags or refs that moved without moving the checked-out commit are fetched on the next change.",
            "With force: true and local modifications, check mode predicts the change (Ansible's check mode predicts it only when the commit moves).",
            "clone: false without a checkout reports ok with `after` (Ansible reports changed).",
            "accept_hostkey keeps Ansible's meaning (any host key is accepted) but the result warns about it.",
            "verify_commit checks the signature when the checkout moves (Ansible also checks an unchanged checkout); gpg_allowlist and separate_git_dir are not supported.",
            "track_submodules follows each submodule remote's HEAD (Ansible compares with origin/master), and submodules away from the recorded commit are then not local modifications.",
            "A branch checkout already at the right commit is left on whatever branch it is on (Ansible switches branches but reports ok too).",
        ])
}
