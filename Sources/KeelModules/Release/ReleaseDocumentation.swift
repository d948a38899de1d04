/// What `keel doc release` prints besides the argument table.
enum ReleaseDocumentation {
    static let module = ModuleDocumentation(
        summary: "Release directories with an atomic `current` switch, shared files, validation and rollback",
        description: """
            The layout of Capistrano (and of community.general.deploy_helper): PATH/releases/ID holds each \
            release, PATH/shared the files and directories that outlive releases, PATH/current is a symlink to \
            the release in service and PATH/history the host's own record of switches and rollbacks.

            state=present creates PATH, releases/ and shared/. state=switched makes `release` current: the \
            shared items are linked into it (replacing what the checkout had at those paths), `validate` runs \
            inside it, and only when that exits 0 is `current` switched, by renaming a new symlink over the old \
            one (rename(2) is atomic: a reader sees the old release or the new one, never a missing link; \
            busybox's `ln -sfn` removes the old link first and is not). Then old releases beyond `keep` are removed, never \
            the current one nor the previous one. A release already current with its links right is ok.

            state=rollback switches back to the previous release from the history (the deploy before the current \
            one: two rollbacks go back two deploys), or to `release` when given; `validate` runs there first when \
            given. Each rollback is a change (it is an action, not a state).

            Check mode lists every step a real run takes (directories, links, validate, switch, removals), with \
            `current` before and after as the diff. Results: path, releases_path, shared_path, current_path, \
            current_release, previous_release, release_path, removed_releases.

            Shared items should not be tracked in the release's git repository (like Capistrano's linked_files): \
            a symlink over a tracked file is a local modification to the git module.
            """,
        examples: """
            - release: path=/srv/shop state=present
            - git: repo=git@git.example.com:shop/app.git dest=/srv/shop/releases/{{ app_release }} version={{ app_release }}
            - release:
                path: /srv/shop
                release: "{{ app_release }}"
                state: switched
                shared_files: [.env]
                shared_dirs: [storage, log]
                validate: ./bin/check-config
                keep: 5
            - name: Back to the release before
              release: path=/srv/shop state=rollback
            """,
        deviations: [
            "Not an Ansible module: the anchors are Capistrano's deploy flow and community.general.deploy_helper (whose `finalize` is `switched` here).",
        ])
}
