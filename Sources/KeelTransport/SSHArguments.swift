/// What Keel's SSH transport takes from ssh argument strings (ansible.cfg's ssh_args, ssh_common_args,
/// ssh_extra_args and the ansible_ssh_*_args variables): `-o` options it implements and `-J`. Everything
/// else (ControlMaster, -C, ...) has no meaning for its libssh2 sessions; this names them so they can be
/// reported instead of silently dropped. ControlPersist turns on Keel's own connection masters.
public enum SSHArguments {
    /// `-o` keys (lowercased) HostConnectionSettings applies.
    public static let understoodOptions: Set<String> = [
        "userknownhostsfile", "stricthostkeychecking", "identitiesonly", "connecttimeout", "serveraliveinterval", "proxyjump", "controlpersist",
    ]

    /// The options and flags in these strings that Keel ignores, as written ("ControlMaster", "-C"), each once.
    public static func ignoredOptions(_ argumentStrings: [String?]) -> [String] {
        var ignored: [String] = []
        func note(_ name: String) { if !ignored.contains(name) { ignored.append(name) } }
        for text in argumentStrings.compactMap({ $0 }) {
            let words = ShellWords.split(text)
            var index = 0
            while index < words.count {
                let word = words[index]
                var option: String?
                if word == "-o", index + 1 < words.count { option = words[index + 1]; index += 1 }
                else if word.hasPrefix("-o") { option = String(word.dropFirst(2)) }
                else if word == "-J" { index += 1 }
                else { note(word) }
                if let option {
                    let (key, _) = SSHConfig.splitKeyword(option)
                    if !understoodOptions.contains(key) {
                        note(String(option.prefix { $0 != "=" && $0 != " " && $0 != "\t" }))
                    }
                }
                index += 1
            }
        }
        return ignored
    }
}
