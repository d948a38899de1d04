import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a secret from the terminal without echoing it (or one line from stdin when it is not a tty).
enum PasswordPrompt {
    static func read(_ prompt: String) -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var original = termios()
        let isTerminal = isatty(STDIN_FILENO) == 1 && tcgetattr(STDIN_FILENO, &original) == 0
        if isTerminal {
            var silent = original
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        }
        let line = readLine(strippingNewline: true) ?? ""
        if isTerminal {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return line
    }
}
