package dev.runbook4j.dsl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Compiled scripts on disk, one folder per script name and text: the classes Groovy generated and
 * what the check recorded about where each call is. A folder is written whole (to a temporary
 * folder, then moved), so a reader sees all of it or nothing.
 */
final class ScriptCache {
  private static final String VERSION = "runbook4j-dsl 0.1 / groovy " + groovy.lang.GroovySystem.getVersion()
      + (ClosureLifter.ENABLED ? " / blocks as methods" : "");

  private ScriptCache() {}

  static String key(String file, String source) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update((VERSION + "\n" + file + "\n").getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(md.digest(source.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Loads classes from their bytes, each when first asked for. */
  static final class BytesLoader extends ClassLoader {
    private final Map<String, byte[]> bytes;

    BytesLoader(Map<String, byte[]> bytes) {
      super(RunbookScripts.class.getClassLoader());
      this.bytes = bytes;
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
      byte[] b = bytes.get(name);
      if (b == null) {
        throw new ClassNotFoundException(name);
      }
      return defineClass(name, b, 0, b.length);
    }
  }

  static RunbookScripts.Compiled define(Map<String, byte[]> classes, DslChecker checker) {
    BytesLoader loader = new BytesLoader(classes);
    for (String name : classes.keySet()) {
      try {
        Class<?> c = loader.loadClass(name);
        if (RunbookScript.class.isAssignableFrom(c)) {
          return new RunbookScripts.Compiled(c, checker, classes);
        }
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("compiled class " + name + " cannot be loaded", e);
      }
    }
    throw new IllegalStateException("the compiled script has no script class");
  }

  /** The cached script in {@code dir}, or null when there is none (or it cannot be read). */
  static RunbookScripts.Compiled read(Path dir, String file) {
    Path meta = dir.resolve("meta.txt");
    if (!Files.isRegularFile(meta)) {
      return null;
    }
    try {
      Map<String, byte[]> classes = new LinkedHashMap<>();
      DslChecker checker = new DslChecker(file, new ArrayList<>());
      for (String line : Files.readAllLines(meta, StandardCharsets.UTF_8)) {
        String[] f = line.split(" ", 4);
        switch (f[0]) {
          case "class" -> {
            byte[] b = Files.readAllBytes(dir.resolve(f[1] + ".class"));
            if (f.length < 3 || !f[2].equals(sha256(b))) {
              return damaged(dir);  // edited, cut off, or from a version that kept no hash
            }
            classes.put(f[1], b);
          }
          case "call" -> checker.callsByLine.computeIfAbsent(Integer.parseInt(f[1]), k -> new ArrayList<>())
              .add(new Object[] {Integer.parseInt(f[2]), f[3]});
          case "name" -> checker.names.put(f[3], new int[] {Integer.parseInt(f[1]), Integer.parseInt(f[2])});
          case "runbook" -> checker.runbookAt = new int[] {Integer.parseInt(f[1]), Integer.parseInt(f[2])};
          default -> {
            return damaged(dir);
          }
        }
      }
      return define(classes, checker);
    } catch (IOException | RuntimeException | LinkageError e) {
      return damaged(dir);  // a damaged entry: compiled again, and written again
    }
  }

  /** Removes a damaged entry so that the script is compiled and cached again; null. */
  private static RunbookScripts.Compiled damaged(Path dir) {
    deleteQuietly(dir);
    return null;
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  static void write(Path dir, Map<String, byte[]> classes, DslChecker checker) {
    try {
      Files.createDirectories(dir.getParent());
      Path tmp = Files.createTempDirectory(dir.getParent(), dir.getFileName() + ".tmp");
      List<String> meta = new ArrayList<>();
      for (Map.Entry<String, byte[]> c : classes.entrySet()) {
        Files.write(tmp.resolve(c.getKey() + ".class"), c.getValue());
        meta.add("class " + c.getKey() + " " + sha256(c.getValue()));
      }
      checker.callsByLine.forEach((line, calls) -> calls.forEach(c -> meta.add("call " + line + " " + c[0] + " " + c[1])));
      checker.names.forEach((name, at) -> meta.add("name " + at[0] + " " + at[1] + " " + name));
      if (checker.runbookAt != null) {
        meta.add("runbook " + checker.runbookAt[0] + " " + checker.runbookAt[1]);
      }
      Files.write(tmp.resolve("meta.txt"), meta, StandardCharsets.UTF_8);
      try {
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException | java.nio.file.FileAlreadyExistsException e) {
        deleteQuietly(tmp);  // another process cached it first, or the file system cannot move atomically
      } catch (IOException e) {
        deleteQuietly(tmp);
      }
    } catch (IOException e) {
      // caching is an optimisation: a folder that cannot be written is not an error
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort
    }
  }
}
