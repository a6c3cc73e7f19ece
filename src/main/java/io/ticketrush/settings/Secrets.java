package io.ticketrush.settings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Secrets a node reads (the admin token, the payment provider's signing secret): from a file named
 * by {@code NAME.file} (how {@code ./rush} gives them: {@code run/admin-token}, {@code run/pay-secret},
 * mode 0600), or as {@code NAME} from the environment (or web.xml), never as a system property: a
 * {@code -D} is on the command line, which {@code ps} shows to every user of the machine.
 */
final class Secrets {
    /** The secrets a node reads; none may come as a system property. */
    static final List<String> NAMES = List.of("rush.admin.token", "rush.pay.secret");
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.OTHERS_READ);

    private Secrets() {
    }

    /**
     * Fails naming every secret given as a system property ({@code getProperty}: the process's,
     * {@code System::getProperty}).
     */
    static void refuseCommandLine(java.util.function.UnaryOperator<String> getProperty) {
        List<String> given = NAMES.stream().filter(name -> getProperty.apply(name) != null).toList();
        if (!given.isEmpty()) {
            throw new InvalidSettingsException("invalid ticket-rush configuration: " + String.join(", ", given)
                    + " given as a system property (-D, on the command line, which ps shows to every user): give it"
                    + " in a file (" + given.get(0) + ".file, mode 0600) or in the environment");
        }
    }

    /**
     * The secret {@code name}: the content of the file {@code name.file} (trimmed), else the value of
     * {@code name}, else null; at least {@code minLength} characters.
     */
    static String read(SettingsReader in, String name, int minLength, String why) {
        String file = in.given(name + ".file");
        String value = in.given(name);
        if (file != null && value != null) {
            in.problem(name + " and " + name + ".file are both given: give one");
            return null;
        }
        String secret = value;
        if (file != null) {
            secret = fromFile(in, name + ".file", Path.of(file));
            if (secret == null) {
                return null;
            }
        }
        if (secret != null && secret.length() < minLength) {
            in.problem((file != null ? name + ".file=" + file + ": the secret" : name) + " must be at least " + minLength
                    + " characters long (" + why + ")");
        }
        return secret;
    }

    private static String fromFile(SettingsReader in, String setting, Path file) {
        try {
            if (Files.getFileAttributeView(file, java.nio.file.attribute.PosixFileAttributeView.class) != null
                    && Files.getPosixFilePermissions(file).stream().anyMatch(OTHERS::contains)) {
                in.problem(setting + "=" + file + " may be read by other users: chmod 600 it");
                return null;
            }
            String secret = Files.readString(file).trim();
            if (secret.isEmpty()) {
                in.problem(setting + "=" + file + " is empty");
                return null;
            }
            return secret;
        } catch (IOException | RuntimeException e) {
            in.problem(setting + "=" + file + " cannot be read: " + e);
            return null;
        }
    }
}
