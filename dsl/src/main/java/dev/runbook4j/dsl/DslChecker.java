package dev.runbook4j.dsl;

import dev.runbook4j.Durations;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.codehaus.groovy.ast.ASTNode;
import org.codehaus.groovy.ast.ClassNode;
import org.codehaus.groovy.ast.CodeVisitorSupport;
import org.codehaus.groovy.ast.MethodNode;
import org.codehaus.groovy.ast.expr.ArgumentListExpression;
import org.codehaus.groovy.ast.expr.ClosureExpression;
import org.codehaus.groovy.ast.expr.ConstantExpression;
import org.codehaus.groovy.ast.expr.Expression;
import org.codehaus.groovy.ast.expr.ListExpression;
import org.codehaus.groovy.ast.expr.MapEntryExpression;
import org.codehaus.groovy.ast.expr.MapExpression;
import org.codehaus.groovy.ast.expr.MethodCallExpression;
import org.codehaus.groovy.ast.expr.TupleExpression;
import org.codehaus.groovy.ast.stmt.BlockStatement;
import org.codehaus.groovy.ast.stmt.ExpressionStatement;
import org.codehaus.groovy.ast.stmt.Statement;
import org.codehaus.groovy.classgen.GeneratorContext;
import org.codehaus.groovy.control.CompilePhase;
import org.codehaus.groovy.control.SourceUnit;
import org.codehaus.groovy.control.customizers.CompilationCustomizer;

/**
 * Checks a script's DSL before it runs, on its syntax tree, so that every problem has its line and
 * column: unknown keywords (with the valid ones, and the nearest), unknown options, bad durations
 * and regular expressions, names used twice, steps without an undo, parameter defaults outside their
 * range. The keywords of each block are read from the DSL classes, so this check cannot drift from
 * what the DSL accepts.
 */
final class DslChecker extends CompilationCustomizer {
  /** A block of the DSL and the class whose public methods are its keywords. */
  enum Block {
    RUNBOOK(RunbookDsl.class), NODES(BlockDsl.class), STEP(StepDsl.class), GATE(GateDsl.class),
    APPROVAL(ApprovalDsl.class), PARAMETERS(ParametersDsl.class), PARALLEL(ParallelDsl.class),
    WATCH(WatchDsl.class), CHOOSE(ChooseDsl.class), DEFAULTS(DefaultsDsl.class), USER(null);

    final Set<String> keywords;

    Block(Class<?> type) {
      Set<String> k = new TreeSet<>(type == null ? Set.of() : keywordsOf(type));
      if (type != null && NodesDsl.class.isAssignableFrom(type)) {
        for (DslExtension e : NodesDsl.EXTENSIONS) {
          k.addAll(keywordsOf(e.keywords()));
        }
      }
      this.keywords = java.util.Collections.unmodifiableSet(k);
    }
  }

  static Set<String> keywordsOf(Class<?> type) {
    Set<String> names = new TreeSet<>();
    for (Method m : type.getMethods()) {
      if (Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers())
          && m.getDeclaringClass() != Object.class && !m.getDeclaringClass().getName().startsWith("groovy.")
          && !m.getName().equals("methodMissing")) {
        names.add(m.getName());
      }
    }
    return names;
  }

  /** The options a keyword takes as named arguments. */
  static final Map<String, Set<String>> OPTIONS = Map.ofEntries(
      Map.entry("parallel", Set.of("failFast")),
      Map.entry("retry", StepDsl.RETRY_OPTIONS),
      Map.entry("waitUntil", Set.of("every", "timeout", "when", "skippableBy")),
      Map.entry("wait", Set.of("when", "durationText", "skippableBy")),
      Map.entry("bake", Set.of("when", "durationText", "skippableBy")),
      Map.entry("when", Set.of("text")),
      Map.entry("forEach", Set.of("items", "maxConcurrency", "maxErrors")),
      Map.entry("lock", Set.of("policy")),
      Map.entry("compensate", Set.of("retry", "timeout", "onFailure")),
      Map.entry("onFailure", Set.of("on")),
      Map.entry("on", Set.of("channel")),
      Map.entry("notify", Set.of("channel", "onFailure")));

  private static final Set<String> NAMED_NODES = Set.of("step", "gate", "wait", "waitUntil", "bake", "group",
      "forEach", "watch", "branch", "parallel", "choose", "notify", "beforeRollback");

  private final String file;
  private final List<ScriptProblem> problems;
  /** Where each DSL call is, by line (column and keyword): for problems found when the script runs. */
  final Map<Integer, List<Object[]>> callsByLine = new LinkedHashMap<>();
  /** Where each named node's call is. */
  final Map<String, int[]> names = new LinkedHashMap<>();
  /** Where each name was first given, for names used twice. */
  private final Map<String, int[]> nameArgs = new LinkedHashMap<>();
  int[] runbookAt;

  DslChecker(String file, List<ScriptProblem> problems) {
    super(CompilePhase.CONVERSION);
    this.file = file;
    this.problems = problems;
  }

  /** The script's lines, for the source of its conditions. */
  private String[] lines;

  @Override
  public void call(SourceUnit source, GeneratorContext context, ClassNode classNode) {
    if (!classNode.isScript()) {
      return;
    }
    try (java.io.Reader r = source.getSource().getReader()) {
      StringBuilder sb = new StringBuilder();
      char[] buf = new char[8192];
      for (int n; (n = r.read(buf)) > 0; ) {
        sb.append(buf, 0, n);
      }
      lines = sb.toString().split("\r?\n", -1);
    } catch (java.io.IOException | RuntimeException e) {
      lines = new String[0];  // conditions are then described as "a condition"
    }
    MethodNode run = classNode.getMethod("run", org.codehaus.groovy.ast.Parameter.EMPTY_ARRAY);
    if (run == null || run.getCode() == null) {
      return;
    }
    Visitor v = new Visitor();
    run.getCode().visit(v);
    if (runbookAt == null) {
      problems.add(new ScriptProblem(file, 1, 1, "the script defines no runbook; start it with runbook('name') { ... }"));
    }
  }

  private void problem(ASTNode at, String message) {
    problems.add(new ScriptProblem(file, Math.max(at.getLineNumber(), 1), Math.max(at.getColumnNumber(), 1), message));
  }

  private final class Visitor extends CodeVisitorSupport {
    private final Deque<Block> blocks = new ArrayDeque<>();
    private final Deque<String> subjects = new ArrayDeque<>();
    private final Map<String, Integer> unnamed = new java.util.HashMap<>();

    @Override
    public void visitMethodCallExpression(MethodCallExpression call) {
      Block here = blocks.peek();
      String name = call.getMethodAsString();
      if (name == null || !call.isImplicitThis()) {
        super.visitMethodCallExpression(call);
        return;
      }
      if (here == null) {
        if (name.equals("runbook")) {
          runbookAt = new int[] {call.getLineNumber(), call.getColumnNumber()};
          record(call, name);
          enter(call, Block.RUNBOOK, "runbook '" + firstString(call) + "'");
          return;
        }
        super.visitMethodCallExpression(call);
        return;
      }
      if (here == Block.USER) {
        super.visitMethodCallExpression(call);
        return;
      }
      record(call, name);
      if (!here.keywords.contains(name)) {
        problem(call, "unknown keyword '" + name + "' in " + subjects.peek() + nearest(name, here.keywords)
            + "; expected one of: " + String.join(", ", here.keywords));
        return;
      }
      nameUnnamed(call, name);
      checkArguments(call, here, name);
      Block inner = inner(here, name);
      String what = NAMED_NODES.contains(name) ? name + " '" + firstString(call) + "'" : name;
      if (name.equals("step")) {
        checkStep(call);
      }
      describeConditions(call, here, name);
      if (here == Block.CHOOSE && name.equals("when")) {
        enterOption(call);
        return;
      }
      enter(call, inner, what);
    }

    /**
     * Names an unnamed {@code parallel { }} or {@code choose { }} by its place in the script
     * ({@code parallel-1}, {@code choose-2}), counted over the whole script, so that two in different
     * blocks do not share a name and a problem with one is reported where it is written.
     */
    private void nameUnnamed(MethodCallExpression call, String name) {
      if ((name.equals("parallel") || name.equals("choose")) && call.getArguments() instanceof ArgumentListExpression l) {
        List<Expression> args = l.getExpressions();
        int at = !args.isEmpty() && args.get(0) instanceof MapExpression ? 1 : 0;  // after parallel(failFast: false, ...)
        if (args.size() > at && args.get(at) instanceof ClosureExpression) {
          ConstantExpression generated = new ConstantExpression(name + "-" + unnamed.merge(name, 1, Integer::sum));
          generated.setSourcePosition(call);
          args.add(at, generated);
        }
      }
    }

    /** An option of a choose: its condition is user code, its last closure the option's nodes. */
    private void enterOption(MethodCallExpression call) {
      List<Expression> args = arguments(call);
      for (int i = 0; i < args.size(); i++) {
        if (args.get(i) instanceof ClosureExpression c) {
          boolean body = i == args.size() - 1;
          blocks.push(body ? Block.NODES : Block.USER);
          subjects.push(body ? "an option of " + subjects.peek() : "a condition");
          try {
            c.getCode().visit(this);
          } finally {
            blocks.pop();
            subjects.pop();
          }
        } else {
          args.get(i).visit(this);
        }
      }
    }

    /**
     * Gives each condition written in braces its source as the words the plan shows for it:
     * {@code when { params.canary }} becomes {@code when(text: 'params.canary', { params.canary })},
     * and a wait's {@code when: { ... }} gains {@code whenText: '...'}.
     */
    private void describeConditions(MethodCallExpression call, Block here, String name) {
      if (!(call.getArguments() instanceof ArgumentListExpression list)) {
        return;
      }
      List<Expression> args = list.getExpressions();
      if (name.equals("when") && here != Block.USER && here != Block.PARAMETERS) {
        boolean named = !args.isEmpty() && args.get(0) instanceof MapExpression;
        int cond = here == Block.CHOOSE ? args.size() - 2 : args.size() - 1;
        boolean plain = here == Block.CHOOSE
            ? args.size() == 2 || (args.size() == 3 && args.get(0) instanceof ConstantExpression)
            : args.size() == 1;
        if (!named && plain && cond >= 0 && args.get(cond) instanceof ClosureExpression c) {
          String text = sourceOf(c);
          if (text != null) {
            MapExpression m = new MapExpression();
            m.addMapEntryExpression(new ConstantExpression("text"), new ConstantExpression(text));
            args.add(0, m);
          }
        }
      }
      if ((name.equals("wait") || name.equals("bake")) && !args.isEmpty()) {
        int at = args.get(0) instanceof MapExpression ? 2 : 1;  // name, then the duration
        if (args.size() > at && args.get(at) instanceof ClosureExpression c) {
          String text = sourceOf(c);
          if (text != null) {
            MapExpression m;
            if (args.get(0) instanceof MapExpression existing) {
              m = existing;
            } else {
              m = new MapExpression();
              args.add(0, m);
            }
            m.addMapEntryExpression(new ConstantExpression("durationText"), new ConstantExpression(text));
          }
        }
      }
      if (Set.of("wait", "bake", "waitUntil").contains(name) && !args.isEmpty()
          && args.get(0) instanceof MapExpression m) {
        for (MapEntryExpression e : List.copyOf(m.getMapEntryExpressions())) {
          if (e.getKeyExpression() instanceof ConstantExpression k && "when".equals(k.getValue())
              && e.getValueExpression() instanceof ClosureExpression c) {
            String text = sourceOf(c);
            if (text != null) {
              m.addMapEntryExpression(new ConstantExpression("whenText"), new ConstantExpression(text));
            }
          }
        }
      }
    }

    /** The source of a closure's body on one line ({@code params.canary}), cut to 80 characters; null if unknown. */
    private String sourceOf(ClosureExpression c) {
      int first = c.getLineNumber();
      int last = c.getLastLineNumber();
      if (first < 1 || last < first || last > lines.length) {
        return null;
      }
      StringBuilder sb = new StringBuilder();
      for (int l = first; l <= last; l++) {
        String line = lines[l - 1];
        int from = l == first ? Math.min(Math.max(c.getColumnNumber() - 1, 0), line.length()) : 0;
        int to = l == last ? Math.min(Math.max(c.getLastColumnNumber() - 1, from), line.length()) : line.length();
        sb.append(line, from, to).append(' ');
      }
      String t = sb.toString().trim();
      if (!t.startsWith("{") || !t.endsWith("}")) {
        return null;
      }
      t = t.substring(1, t.length() - 1).replaceFirst("^\\s*[A-Za-z_][A-Za-z0-9_]*\\s*->", "")
          .replaceAll("\\s+", " ").trim();
      if (t.isEmpty()) {
        return null;
      }
      return t.length() <= 80 ? t : t.substring(0, 79) + "…";
    }

    private void enter(MethodCallExpression call, Block inner, String subject) {
      for (Expression arg : arguments(call)) {
        if (arg instanceof ClosureExpression c) {
          blocks.push(inner);
          subjects.push(subject);
          try {
            c.getCode().visit(this);
          } finally {
            blocks.pop();
            subjects.pop();
          }
        } else {
          arg.visit(this);
        }
      }
    }

    private Block inner(Block here, String name) {
      return switch (name) {
        case "step" -> Block.STEP;
        case "gate", "beforeRollback" -> Block.GATE;
        case "group", "forEach", "branch" -> Block.NODES;
        case "parallel" -> Block.PARALLEL;
        case "choose" -> Block.CHOOSE;
        case "defaults" -> here == Block.RUNBOOK ? Block.DEFAULTS : Block.USER;
        case "otherwise" -> Block.NODES;
        case "watch" -> Block.WATCH;
        case "parameters" -> Block.PARAMETERS;
        case "approval" -> here == Block.GATE ? Block.APPROVAL : Block.USER;
        default -> Block.USER;
      };
    }

    private void checkArguments(MethodCallExpression call, Block here, String name) {
      List<Expression> args = arguments(call);
      Map<String, Expression> named = named(call);
      if (NAMED_NODES.contains(name) && !((name.equals("parallel") || name.equals("choose")) && !args.isEmpty()
          && args.get(0) instanceof ClosureExpression)) {
        Expression first = args.isEmpty() ? null : args.get(0);
        if (first instanceof ConstantExpression c && c.getValue() instanceof String s) {
          names.putIfAbsent(s, new int[] {call.getLineNumber(), call.getColumnNumber()});
          int[] was = nameArgs.putIfAbsent(s, new int[] {first.getLineNumber(), first.getColumnNumber()});
          if (was != null) {
            problem(first, "name '" + s + "' is used twice (first at line " + was[0] + "); names must be unique within"
                + " a runbook");
          }
        } else if (first instanceof ConstantExpression c) {
          problem(first, name + ": the name must be a string, was " + c.getText());
        } else if (first == null || first instanceof ClosureExpression) {
          problem(call, name + " needs a name: " + name + "('name')" + (name.equals("wait") || name.equals("bake")
              ? ", '10m')" : " { ... }"));
        }
      }
      Set<String> allowed = here == Block.PARAMETERS ? parameterOptions(name) : OPTIONS.get(name);
      if (allowed != null) {
        for (Map.Entry<String, Expression> e : named.entrySet()) {
          if (!allowed.contains(e.getKey())) {
            problem(e.getValue(), name + ": unknown option '" + e.getKey() + "'" + nearest(e.getKey(), allowed)
                + "; use " + String.join(", ", new TreeSet<>(allowed)));
          }
        }
      }
      for (Map.Entry<String, Expression> e : named.entrySet()) {
        String key = e.getKey();
        if (Set.of("backoff", "maxDelay", "every", "timeout").contains(key)
            || (name.equals("duration") && key.equals("defaultValue"))) {
          duration(e.getValue(), name + " " + key);
        } else if (key.equals("pattern")) {
          regex(e.getValue());
        } else if (Set.of("maxAttempts", "maxConcurrency", "maxErrors", "min", "max").contains(key)
            && e.getValue() instanceof ConstantExpression c && !(c.getValue() instanceof Number)) {
          problem(c, name + ": " + key + " must be a number, was " + c.getText());
        }
      }
      if ((name.equals("wait") || name.equals("bake")) && args.size() >= 2) {
        duration(args.get(1), name + " '" + firstString(call) + "'");
      } else if ((name.equals("wait") || name.equals("bake")) && args.size() < 2) {
        problem(call, name + " '" + firstString(call) + "' needs a duration: " + name + "('" + firstString(call)
            + "', '10m')");
      } else if (Set.of("timeout", "every").contains(name) && !args.isEmpty()) {
        duration(args.get(0), name);
      }
      if (here == Block.PARAMETERS) {
        checkDefault(call, name, named);
      }
    }

    private void checkDefault(MethodCallExpression call, String kind, Map<String, Expression> named) {
      Expression dflt = named.get("defaultValue");
      if (!(dflt instanceof ConstantExpression d) || d.getValue() == null) {
        return;
      }
      Object v = d.getValue();
      String param = kind + " '" + firstString(call) + "'";
      if (kind.equals("integer")) {
        Long min = constantLong(named.get("min"));
        Long max = constantLong(named.get("max"));
        if (!(v instanceof Number n)) {
          problem(d, param + ": defaultValue " + d.getText() + " is not an integer");
        } else if ((min != null && n.longValue() < min) || (max != null && n.longValue() > max)) {
          problem(d, param + ": defaultValue " + n + " is outside [" + (min == null ? "..." : min) + ", "
              + (max == null ? "..." : max) + "]");
        }
      } else if (kind.equals("choice") && named.get("values") instanceof ListExpression l) {
        List<String> values = new ArrayList<>();
        for (Expression x : l.getExpressions()) {
          if (x instanceof ConstantExpression c) {
            values.add(String.valueOf(c.getValue()));
          }
        }
        if (values.size() == l.getExpressions().size() && !values.contains(String.valueOf(v))) {
          problem(d, param + ": defaultValue '" + v + "' is not one of " + values);
        }
      } else if (kind.equals("string") && named.get("pattern") instanceof ConstantExpression p
          && p.getValue() instanceof String regex) {
        try {
          if (!Pattern.compile(regex).matcher(String.valueOf(v)).matches()) {
            problem(d, param + ": defaultValue '" + v + "' does not match /" + regex + "/");
          }
        } catch (PatternSyntaxException ignored) {
          // reported as a bad regex
        }
      } else if (kind.equals("secret")) {
        problem(d, param + ": a secret has no defaultValue (it would be written in the script)");
      }
    }

    private void checkStep(MethodCallExpression call) {
      ClosureExpression body = null;
      for (Expression a : arguments(call)) {
        if (a instanceof ClosureExpression c) {
          body = c;
        }
      }
      if (body == null) {
        problem(call, "step '" + firstString(call) + "' needs a block: step('" + firstString(call)
            + "') { action { ctx -> ... }; compensate { ctx, out -> ... } }");
        return;
      }
      Set<String> said = new TreeSet<>();
      if (body.getCode() instanceof BlockStatement b) {
        for (Statement s : b.getStatements()) {
          if (s instanceof ExpressionStatement es && es.getExpression() instanceof MethodCallExpression m
              && m.isImplicitThis()) {
            said.add(m.getMethodAsString());
          }
        }
      }
      if (!said.contains("action")) {
        problem(call, "step '" + firstString(call) + "' has no action { ctx -> ... }");
      }
      if (!said.contains("compensate") && !said.contains("readOnly") && !said.contains("irreversible")) {
        problem(call, "step '" + firstString(call) + "' must declare how it is undone: compensate { ctx, out -> ... },"
            + " readOnly() or irreversible()");
      }
    }

    private void duration(Expression e, String what) {
      if (e instanceof ConstantExpression c && c.getValue() instanceof String s) {
        try {
          Durations.parse(s);
        } catch (IllegalArgumentException x) {
          problem(e, what + ": " + x.getMessage());
        }
      } else if (e instanceof ConstantExpression c && c.getValue() instanceof Number) {
        problem(e, what + ": " + c.getText() + " is not a duration; write it like '90s', '10m', '1h30m' or "
            + c.getText() + ".minutes");
      }
    }

    private void regex(Expression e) {
      if (e instanceof ConstantExpression c && c.getValue() instanceof String s) {
        try {
          Pattern.compile(s);
        } catch (PatternSyntaxException x) {
          problem(e, "pattern /" + s + "/ is not a valid regular expression: " + x.getDescription());
        }
      }
    }

    private void record(MethodCallExpression call, String name) {
      callsByLine.computeIfAbsent(call.getLineNumber(), k -> new ArrayList<>())
          .add(new Object[] {call.getColumnNumber(), name});
    }
  }

  private static Set<String> parameterOptions(String kind) {
    for (dev.runbook4j.dsl.ParameterSpec.Kind k : dev.runbook4j.dsl.ParameterSpec.Kind.values()) {
      if (k.keyword().equals(kind)) {
        return ParametersDsl.OPTIONS.get(k);
      }
    }
    return null;
  }

  private static Long constantLong(Expression e) {
    return e instanceof ConstantExpression c && c.getValue() instanceof Number n ? n.longValue() : null;
  }

  static List<Expression> arguments(MethodCallExpression call) {
    List<Expression> out = new ArrayList<>();
    Expression args = call.getArguments();
    if (args instanceof TupleExpression t) {
      for (Expression e : t.getExpressions()) {
        if (!(e instanceof MapExpression)) {
          out.add(e);
        }
      }
    }
    return out;
  }

  static Map<String, Expression> named(MethodCallExpression call) {
    Map<String, Expression> out = new LinkedHashMap<>();
    if (call.getArguments() instanceof TupleExpression t) {
      for (Expression e : t.getExpressions()) {
        if (e instanceof MapExpression m) {
          for (MapEntryExpression entry : m.getMapEntryExpressions()) {
            if (entry.getKeyExpression() instanceof ConstantExpression k) {
              out.put(String.valueOf(k.getValue()), entry.getValueExpression());
            }
          }
        }
      }
    }
    return out;
  }

  static String firstString(MethodCallExpression call) {
    List<Expression> args = arguments(call);
    return !args.isEmpty() && args.get(0) instanceof ConstantExpression c ? String.valueOf(c.getValue()) : "?";
  }

  /** ", did you mean 'x'?" for a near miss (edit distance at most 2), else "". */
  static String nearest(String word, Set<String> candidates) {
    String best = null;
    int bestDistance = 3;
    for (String c : candidates) {
      int d = distance(word.toLowerCase(java.util.Locale.ROOT), c.toLowerCase(java.util.Locale.ROOT));
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    return best == null ? "" : " (did you mean '" + best + "'?)";
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
