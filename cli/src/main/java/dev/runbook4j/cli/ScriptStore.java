package dev.runbook4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runbook4j.UnknownRunException;
import dev.runbook4j.dsl.RunbookScripts;
import dev.runbook4j.dsl.ScriptRunbook;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which script each run was started from, so that {@code resume}, {@code approve}, {@code reject}
 * and {@code cancel} load that exact script again: every script a run started with is kept by its
 * content hash ({@code .runbook4j/scripts/content/HEX.runbook.groovy}), and each run's entry
 * ({@code .runbook4j/scripts/runs/HEX.json}, named by the SHA-256 of the run id: no two run ids share
 * one, whatever their characters or length) holds its id, the script's path and its content hash.
 * The hash is also the runbook's {@code code}, which its plan hash covers.
 */
final class ScriptStore {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ScriptStore() {}

  static Path dir() {
    return Path.of(".runbook4j", "scripts");
  }

  /** The script as read, with its content hash. */
  record Source(Path path, String text, String hash) {
    static Source read(Path path) {
      try {
        String text = Files.readString(path, StandardCharsets.UTF_8);
        return new Source(path, text, RunbookScripts.contentHash(text));
      } catch (IOException e) {
        RunbookScripts.load(path);  // reports it as every script problem is reported: path: cannot be read
        throw new IllegalArgumentException(path + " cannot be read: " + e.getMessage(), e);
      }
    }

    ScriptRunbook load() {
      return RunbookScripts.load(path.toString(), text);
    }
  }

  /** Keeps {@code s}'s text by its hash (before the run starts: nothing is lost if the entry cannot be written). */
  static void keep(Source s) throws IOException {
    Path f = dir().resolve("content").resolve(hex(s.hash()) + ".runbook.groovy");
    if (!Files.exists(f)) {
      write(f, s.text());
    }
  }

  /** Binds run {@code runId} to the script {@code s}. */
  static void bind(String runId, Source s) throws IOException {
    keep(s);
    Map<String, String> entry = new LinkedHashMap<>();
    entry.put("runId", runId);
    entry.put("path", s.path().toAbsolutePath().toString());
    entry.put("hash", s.hash());
    write(entryFile(runId), JSON.writeValueAsString(entry));
  }

  /** Whether run {@code runId} was started from this directory. */
  static boolean knows(String runId) {
    Path legacy = legacyEntry(runId);
    return Files.exists(entryFile(runId)) || (legacy != null && Files.exists(legacy));
  }

  /** Where a run's entry was kept before 2026-12-01 (the run id, unsafe characters replaced), or null. */
  private static Path legacyEntry(String runId) {
    String safe = runId.replaceAll("[^A-Za-z0-9._-]", "_");
    return safe.equals(runId) && runId.length() <= 200 ? dir().resolve(safe) : null;  // ambiguous names are not read
  }

  /**
   * The script run {@code runId} was started with: the file it came from when it still holds the
   * same text, the kept copy when the file is gone.
   *
   * @throws UnknownRunException when the run was not started from this directory
   * @throws ChangedScriptException when the file holds another text now
   */
  static ScriptRunbook load(String runId) {
    return load(runId, true);
  }

  /**
   * The script run {@code runId} was started with, never refused: the kept copy when the file
   * changed (a cancel must not wait for a script to be restored).
   */
  static ScriptRunbook loadAsStarted(String runId) {
    return load(runId, false);
  }

  private static ScriptRunbook load(String runId, boolean refuseChanged) {
    Path f = entryFile(runId);
    if (!Files.exists(f)) {
      Path legacy = legacyEntry(runId);
      if (legacy != null && Files.exists(legacy)) {
        try {  // a run started before scripts were kept by content: its entry holds the path only
          return RunbookScripts.load(Path.of(Files.readString(legacy, StandardCharsets.UTF_8).trim()));
        } catch (IOException e) {
          throw new IllegalStateException("the script entry of run " + runId + " cannot be read: " + e.getMessage(), e);
        }
      }
      throw new UnknownRunException(runId);
    }
    Map<?, ?> entry;
    try {
      entry = JSON.readValue(Files.readString(f, StandardCharsets.UTF_8), Map.class);
    } catch (IOException e) {
      throw new IllegalStateException("the script entry of run " + runId + " (" + f + ") cannot be read: "
          + e.getMessage(), e);
    }
    if (!runId.equals(entry.get("runId"))) {
      throw new IllegalStateException("the script entry " + f + " is of run " + entry.get("runId") + ", not " + runId);
    }
    Path path = Path.of(String.valueOf(entry.get("path")));
    String hash = String.valueOf(entry.get("hash"));
    Path kept = dir().resolve("content").resolve(hex(hash) + ".runbook.groovy");
    if (Files.exists(path)) {
      Source now = Source.read(path);
      if (now.hash().equals(hash)) {
        return now.load();
      }
      if (refuseChanged) {
        throw new ChangedScriptException(runId, path, hash, now.hash());
      }
    }
    if (!Files.exists(kept)) {
      throw new IllegalStateException("the script of run " + runId + " is gone: " + path + " does not exist and"
          + " its copy " + kept + " neither");
    }
    Source copy = Source.read(kept);
    if (!copy.hash().equals(hash)) {
      throw new IllegalStateException("the kept copy " + kept + " of the script of run " + runId + " is damaged: its"
          + " content hash is " + copy.hash() + ", not " + hash);
    }
    return new Source(path, copy.text(), hash).load();  // named as the run knew it
  }

  /**
   * The script at the path run {@code runId} was bound to, when it holds another text now; null when
   * it is unchanged or gone (or the run predates the store).
   */
  static Source changed(String runId) {
    Path f = entryFile(runId);
    if (!Files.exists(f)) {
      return null;
    }
    try {
      Map<?, ?> entry = JSON.readValue(Files.readString(f, StandardCharsets.UTF_8), Map.class);
      Path path = Path.of(String.valueOf(entry.get("path")));
      if (!Files.exists(path)) {
        return null;
      }
      Source now = Source.read(path);
      return now.hash().equals(entry.get("hash")) ? null : now;
    } catch (IOException e) {
      throw new IllegalStateException("the script entry of run " + runId + " (" + f + ") cannot be read: "
          + e.getMessage(), e);
    }
  }

  /** The script at hand differs from the one the run started with. */
  static final class ChangedScriptException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    ChangedScriptException(String runId, Path path, String was, String now) {
      super("the script of run " + runId + " has changed since the run started: " + path + " was " + abbreviate(was)
          + " and is " + abbreviate(now) + " now; restore the script the run was started with (a copy is in "
          + dir().resolve("content").resolve(hex(was) + ".runbook.groovy") + "), so that the run goes on with the code"
          + " its approvals were given for, or accept the change with --accept-changed-script (journaled; the"
          + " approvals given before it no longer count)");
    }
  }

  static String abbreviate(String hash) {
    return hash.length() > 19 ? hash.substring(0, 19) : hash;
  }

  private static Path entryFile(String runId) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(runId.getBytes(StandardCharsets.UTF_8));
      return dir().resolve("runs").resolve(HexFormat.of().formatHex(d) + ".json");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static String hex(String hash) {
    String h = hash.startsWith("sha256:") ? hash.substring("sha256:".length()) : hash;
    if (!h.matches("[0-9a-f]{64}")) {
      throw new IllegalStateException("'" + hash + "' is not a script's content hash");
    }
    return h;
  }

  /** Writes {@code text} to {@code f} whole: to a temporary file beside it, then moved. */
  private static void write(Path f, String text) throws IOException {
    Files.createDirectories(f.getParent());
    Path tmp = Files.createTempFile(f.getParent(), ".tmp", "");
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      try {
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
