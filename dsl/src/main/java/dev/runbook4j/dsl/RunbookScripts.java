package dev.runbook4j.dsl;

import dev.runbook4j.RunbookDefinitionException;
import dev.runbook4j.Runbook;
import groovy.lang.MissingMethodException;
import groovy.lang.MissingPropertyException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apiguardian.api.API;
import org.codehaus.groovy.control.CompilerConfiguration;
import org.codehaus.groovy.control.MultipleCompilationErrorsException;
import org.codehaus.groovy.control.customizers.ImportCustomizer;
import org.codehaus.groovy.control.messages.ExceptionMessage;
import org.codehaus.groovy.control.messages.Message;
import org.codehaus.groovy.control.messages.SyntaxErrorMessage;
import org.codehaus.groovy.syntax.SyntaxException;

/**
 * Loads runbook scripts ({@code *.runbook.groovy}) with a real Groovy compiler.
 *
 * <pre>{@code
 * ScriptRunbook s = RunbookScripts.load(Path.of("deploy-web.runbook.groovy"));
 * RunResult r = engine.run(s.runbook(), s.params(Map.of("version", "1.4.2")));
 * }</pre>
 *
 * <p>Loading reports <em>every</em> problem at once, each as {@code path:line:column: message}:
 * Groovy syntax errors, unknown keywords (with the valid ones), unknown options, bad durations and
 * regular expressions, names used twice, steps without an undo, parameter defaults out of range,
 * and what the Java builders refuse. Scripts are trusted code, like a Jenkinsfile: there is no
 * sandbox.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class RunbookScripts {
  private RunbookScripts() {}

  /** Loads the script in {@code file}. */
  public static ScriptRunbook load(Path file) {
    return load(file, Map.of());
  }

  /**
   * {@link #load(Path)} within {@code timeLimit}: the script is compiled and its top-level code run
   * on a thread of its own; when it has not finished in time (an endless loop, say), a {@link
   * ScriptException} names the line it was running. That thread is interrupted and left behind, a
   * daemon (a JVM cannot stop it safely): a command line exits; a long-lived process should give
   * scripts it does not trust to a process of their own.
   *
   * @since 0.7
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.7")
  public static ScriptRunbook load(Path file, java.time.Duration timeLimit) {
    java.util.concurrent.CompletableFuture<ScriptRunbook> done = new java.util.concurrent.CompletableFuture<>();
    Thread loader = new Thread(() -> {
      try {
        done.complete(load(file));
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    }, "runbook4j-load " + file.getFileName());
    loader.setDaemon(true);
    loader.start();
    try {
      return done.get(timeLimit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      int line = lineIn(file.toString(), loader.getStackTrace());
      loader.interrupt();
      throw new ScriptException(file.toString(), List.of(new ScriptProblem(file.toString(), line, 0,
          "still running after " + timeLimit.toSeconds() + "s while it defines the runbook" + (line > 0 ? " (at this line:"
              + " an endless loop?)" : "") + "; stopped. A script's top-level code only defines the runbook; give it"
              + " longer with a larger time limit")));
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      loader.interrupt();
      throw new ScriptException(file.toString(), List.of(new ScriptProblem(file.toString(), 0, 0,
          "interrupted while it was loaded")));
    }
  }

  /**
   * Loads the script in {@code file} with variables it can read ({@code binding.variables}); a
   * test gives a script a fake of what it changes this way:
   * {@code def machine = binding.hasVariable('machine') ? binding.machine : new LocalMachine()}.
   */
  public static ScriptRunbook load(Path file, Map<String, ?> variables) {
    String source;
    try {
      source = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ScriptException(file.toString(), List.of(new ScriptProblem(file.toString(), 0, 0,
          "cannot be read: " + e.getMessage())));
    }
    return load(file.toString(), source, variables);
  }

  /** Loads a script from its text; {@code file} names it in problems. */
  public static ScriptRunbook load(String file, String source) {
    return load(file, source, Map.of());
  }

  /** Loads a script from its text with variables it can read; {@code file} names it in problems. */
  public static ScriptRunbook load(String file, String source, Map<String, ?> variables) {
    String key = file + "\u0000" + source;
    Compiled compiled;
    synchronized (COMPILED) {
      compiled = COMPILED.get(key);
    }
    if (compiled == null) {
      compiled = compile(file, source);
      synchronized (COMPILED) {
        COMPILED.put(key, compiled);
      }
    }
    RunbookScript script = (RunbookScript) org.codehaus.groovy.runtime.InvokerHelper.createScript(compiled.type(),
        new groovy.lang.Binding(new java.util.HashMap<>(variables)));
    return define(file, source, script, compiled.checker());
  }

  /**
   * The content hash of a script's text, {@code sha256:} and 64 hex digits: the runbook's
   * {@link Runbook#code() code}, which its plan hash covers (an edited script makes another plan, so
   * an approval given for one is not taken for the other).
   */
  public static String contentHash(String source) {
    try {
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
      return "sha256:" + java.util.HexFormat.of().formatHex(md.digest(source.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /**
   * Scripts compiled lately, by name and text: loading the same script again only runs it. Groovy's
   * parser is slow on command expressions with named arguments ({@code retry maxAttempts: 3}): one
   * of them makes it parse the whole script again in its slower mode, about 8 ms per 100 characters
   * of nested blocks here.
   */
  private static final java.util.Map<String, Compiled> COMPILED = new java.util.LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(java.util.Map.Entry<String, Compiled> eldest) {
      return size() > 64;
    }
  };

  private static CompilerConfiguration configuration(DslChecker checker) {
    CompilerConfiguration cc = new CompilerConfiguration();
    cc.setScriptBaseClass(RunbookScript.class.getName());
    cc.setTolerance(50);
    ImportCustomizer imports = new ImportCustomizer();
    imports.addImports("java.time.Duration", "dev.runbook4j.Health", "dev.runbook4j.GateDecision",
        "dev.runbook4j.OnFailure", "dev.runbook4j.LockPolicy");
    cc.addCompilationCustomizers(imports, checker);
    if (ClosureLifter.ENABLED) {
      cc.addCompilationCustomizers(new ClosureLifter());   // after the checker: it sees the script as written
    }
    return cc;
  }

  private static Compiled compile(String file, String source) {
    Path cached = cacheDir == null ? null : cacheDir.resolve(ScriptCache.key(file, source));
    if (cached != null) {
      Compiled hit = ScriptCache.read(cached, file);
      if (hit != null) {
        return hit;
      }
    }
    String faster = CommandParens.add(source);
    Compiled compiled;
    if (faster.equals(source)) {
      compiled = compileText(file, source);
    } else {
      try {
        compiled = compileText(file, faster);
      } catch (ScriptException e) {
        compiled = compileText(file, source);   // its problems, reported on its own text
      }
    }
    if (cached != null) {
      ScriptCache.write(cached, compiled.classes(), compiled.checker());
    }
    return compiled;
  }

  /** Compiles {@code text} as the script {@code file}: its classes, defined as from the cache. */
  private static Compiled compileText(String file, String source) {
    List<ScriptProblem> problems = new ArrayList<>();
    DslChecker checker = new DslChecker(file, problems);
    CompilerConfiguration cc = configuration(checker);
    groovy.lang.GroovyClassLoader loader = new groovy.lang.GroovyClassLoader(RunbookScripts.class.getClassLoader(), cc);
    org.codehaus.groovy.control.CompilationUnit unit = new org.codehaus.groovy.control.CompilationUnit(cc, null, loader);
    unit.addSource(scriptName(file), source);
    try {
      unit.compile(org.codehaus.groovy.control.Phases.CLASS_GENERATION);
    } catch (MultipleCompilationErrorsException e) {
      for (Message m : e.getErrorCollector().getErrors()) {
        if (m instanceof SyntaxErrorMessage s) {
          SyntaxException x = s.getCause();
          problems.add(new ScriptProblem(file, x.getLine(), x.getStartColumn(),
              syntax(x.getOriginalMessage(), x.getLine(), source)));
        } else if (m instanceof ExceptionMessage x) {
          problems.add(new ScriptProblem(file, 1, 1, String.valueOf(x.getCause().getMessage())));
        }
      }
      throw new ScriptException(file, problems);
    } catch (org.codehaus.groovy.control.CompilationFailedException e) {
      boolean deep = false;
      for (Throwable t = e; t != null && !deep; t = t.getCause()) {
        deep = t instanceof StackOverflowError;
      }
      throw new ScriptException(file, List.of(deep ? tooDeep(file) : new ScriptProblem(file, 0, 0,
          "Groovy's compiler could not compile it: " + e.getMessage().replaceFirst("^startup failed:\\s*", "")
              + " (is it nested very deeply? split its expressions or blocks)")), e);
    } catch (StackOverflowError e) {
      throw new ScriptException(file, List.of(tooDeep(file)), e);
    } catch (OutOfMemoryError e) {
      throw new ScriptException(file, List.of(new ScriptProblem(file, 0, 0, "Groovy's compiler used up the memory ("
          + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB the JVM may use) compiling this script")), e);
    }
    if (!problems.isEmpty()) {
      throw new ScriptException(file, problems);
    }
    Map<String, byte[]> classes = new java.util.LinkedHashMap<>();
    for (org.codehaus.groovy.tools.GroovyClass c : unit.getClasses()) {
      classes.put(c.getName(), c.getBytes());
    }
    return ScriptCache.define(classes, checker);  // loaded the same way as from the cache
  }

  /** The names of the classes a script compiles to (for tests: how many blocks stayed closures). */
  static java.util.Set<String> classesOf(String file, String source) {
    return compileText(file, CommandParens.add(source)).classes().keySet();
  }

  /** Where compiled scripts are kept between processes, or null. */
  private static volatile Path cacheDir;

  /**
   * Keeps compiled scripts in {@code dir} (by name and text), so that a new process loading an
   * unchanged script skips Groovy's compiler. Scripts are trusted code: so is this folder.
   */
  public static void cacheIn(Path dir) {
    cacheDir = dir;
  }

  /** A compiled script and what its check recorded (where each call is). */
  record Compiled(Class<?> type, DslChecker checker, Map<String, byte[]> classes) {}

  private static ScriptRunbook define(String file, String source, RunbookScript script, DslChecker checker) {
    List<ScriptProblem> problems = new ArrayList<>();
    try {
      script.run();
    } catch (RuntimeException e) {
      problems.add(atRuntime(file, e, checker));
      throw new ScriptException(file, problems, e);
    } catch (StackOverflowError e) {
      problems.add(at(file, e, "the script's code calls itself without end (a stack overflow) while it defines the"
          + " runbook"));
      throw new ScriptException(file, problems, e);
    } catch (OutOfMemoryError e) {
      problems.add(at(file, e, "the script's code used up the memory (" + Runtime.getRuntime().maxMemory() / (1 << 20)
          + " MiB the JVM may use) while it defined the runbook"));
      throw new ScriptException(file, problems, e);
    }
    if (script.defined == null) {
      throw new ScriptException(file, List.of(new ScriptProblem(file, 1, 1,
          "the script defines no runbook; start it with runbook('name') { ... }")));
    }
    Runbook<ScriptParams> runbook;
    try {
      runbook = script.defined.runbook.code(contentHash(source)).build();
    } catch (RunbookDefinitionException e) {
      for (String p : e.problems()) {
        int[] at = placeOf(p, checker);
        problems.add(new ScriptProblem(file, at[0], at[1], p));
      }
      throw new ScriptException(file, problems);
    }
    return new ScriptRunbook(file, runbook, script.defined.parameters.specs, script.defined.invariants,
        script.defined.testReset);
  }

  /** The class name Groovy gives the script: the file name, made a valid identifier. */
  private static String scriptName(String file) {
    String name = Path.of(file).getFileName().toString();
    return name.endsWith(".groovy") ? name : name + ".groovy";
  }

  /** Groovy's syntax message, on one line; an unclosed block is said plainly. */
  private static String syntax(String message, int line, String source) {
    long lines = source.lines().count();
    String m = message.replaceFirst("^startup failed:\\s*", "").replaceAll("\\s*@ line \\d+, column \\d+\\.?$", "")
        .trim();
    if (line > lines && m.startsWith("Unexpected input")) {
      return "syntax error: the script ends inside a block; a '}' is missing";
    }
    int nl = m.indexOf('\n');
    return "syntax error: " + (nl < 0 ? m : m.substring(0, nl).trim() + " ...");
  }

  private static ScriptProblem tooDeep(String file) {
    return new ScriptProblem(file, 0, 0, "the script is nested too deeply for Groovy's compiler (a stack overflow"
        + " while compiling it); split its expressions or blocks");
  }

  /** {@code message}, at the script's line nearest the top of {@code e}'s stack trace (column unknown). */
  private static ScriptProblem at(String file, Throwable e, String message) {
    return new ScriptProblem(file, lineIn(file, e.getStackTrace()), 0, message);
  }

  /** The script's line nearest the top of {@code stack}, or 0 when the script is not in it. */
  private static int lineIn(String file, StackTraceElement[] stack) {
    String fileName = scriptName(file);
    for (StackTraceElement el : stack) {
      if (fileName.equals(el.getFileName()) && el.getLineNumber() > 0) {
        return el.getLineNumber();
      }
    }
    return 0;
  }

  /** A problem raised while the script ran: placed at the script's line in the stack trace. */
  private static ScriptProblem atRuntime(String file, RuntimeException e, DslChecker checker) {
    String fileName = scriptName(file);
    int line = 0;
    for (Throwable t = e; t != null && line == 0; t = t.getCause()) {
      for (StackTraceElement el : t.getStackTrace()) {
        if (fileName.equals(el.getFileName()) && el.getLineNumber() > 0) {
          line = el.getLineNumber();
          break;
        }
      }
    }
    List<Object[]> calls = checker.callsByLine.getOrDefault(line, List.of());
    String keyword = e instanceof MissingMethodException m ? m.getMethod() : null;
    int column = calls.isEmpty() ? 1 : (int) calls.get(0)[0];
    for (Object[] c : calls) {
      if (c[1].equals(keyword)) {
        column = (int) c[0];
        break;
      }
    }
    String message;
    if (e instanceof MissingMethodException m) {
      message = "'" + m.getMethod() + "' cannot take " + describe(m.getArguments()) + usage(m.getMethod());
    } else if (e instanceof MissingPropertyException m) {
      message = "unknown name '" + m.getProperty() + "'";
    } else {
      message = String.valueOf(e.getMessage());
    }
    return new ScriptProblem(file, Math.max(line, 1), column, message);
  }

  private static String describe(Object[] args) {
    if (args == null || args.length == 0) {
      return "no arguments";
    }
    List<String> types = new ArrayList<>();
    for (Object a : args) {
      types.add(a == null ? "null" : a instanceof groovy.lang.Closure ? "a block { }"
          : a instanceof Map ? "options" : a.getClass().getSimpleName());
    }
    return "(" + String.join(", ", types) + ")";
  }

  private static final Map<String, String> USAGE = Map.ofEntries(
      Map.entry("step", "step('name') { action { ... }; compensate { ... } }"),
      Map.entry("gate", "gate('name') { check { ctx -> true } }"),
      Map.entry("wait", "wait('name', '10m')"),
      Map.entry("bake", "bake('name', '10m')"),
      Map.entry("waitUntil", "waitUntil('name', every: '1s', timeout: '30s') { ctx -> true }"),
      Map.entry("group", "group('name') { ... }"),
      Map.entry("forEach", "forEach('name', items: [...]) { item -> ... }"),
      Map.entry("watch", "watch('name') { check { ctx -> true } }"),
      Map.entry("branch", "branch('name') { ... }"),
      Map.entry("retry", "retry maxAttempts: 3, backoff: '1s'"),
      Map.entry("minApprovals", "minApprovals 2"),
      Map.entry("approvers", "approvers 'alice', 'bob'"),
      Map.entry("lock", "lock 'key' or lock { \"key-${params.env}\" }"));

  private static String usage(String keyword) {
    String u = USAGE.get(keyword);
    return u == null ? "" : "; write it like " + u;
  }

  private static final Pattern QUOTED = Pattern.compile("'([^']+)'");

  /** Where a builder's problem belongs: the first node it names, else the runbook. */
  private static int[] placeOf(String problem, DslChecker checker) {
    Matcher m = QUOTED.matcher(problem);
    while (m.find()) {
      String name = m.group(1);
      String last = name.contains("/") ? name.substring(name.lastIndexOf('/') + 1) : name;
      int[] at = checker.names.get(last);
      if (at != null) {
        return at;
      }
    }
    return checker.runbookAt != null ? checker.runbookAt : new int[] {1, 1};
  }
}
