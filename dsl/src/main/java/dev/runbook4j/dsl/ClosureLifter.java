package dev.runbook4j.dsl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.codehaus.groovy.ast.ClassCodeExpressionTransformer;
import org.codehaus.groovy.ast.ClassHelper;
import org.codehaus.groovy.ast.ClassNode;
import org.codehaus.groovy.ast.CodeVisitorSupport;
import org.codehaus.groovy.ast.MethodNode;
import org.codehaus.groovy.ast.Parameter;
import org.codehaus.groovy.ast.expr.ArgumentListExpression;
import org.codehaus.groovy.ast.expr.ClosureExpression;
import org.codehaus.groovy.ast.expr.ConstantExpression;
import org.codehaus.groovy.ast.expr.ConstructorCallExpression;
import org.codehaus.groovy.ast.expr.DeclarationExpression;
import org.codehaus.groovy.ast.expr.Expression;
import org.codehaus.groovy.ast.expr.LambdaExpression;
import org.codehaus.groovy.ast.expr.MethodCallExpression;
import org.codehaus.groovy.ast.expr.PropertyExpression;
import org.codehaus.groovy.ast.expr.StaticMethodCallExpression;
import org.codehaus.groovy.ast.expr.TupleExpression;
import org.codehaus.groovy.ast.expr.VariableExpression;
import org.codehaus.groovy.ast.stmt.BlockStatement;
import org.codehaus.groovy.ast.stmt.CatchStatement;
import org.codehaus.groovy.ast.stmt.ExpressionStatement;
import org.codehaus.groovy.ast.stmt.ForStatement;
import org.codehaus.groovy.ast.stmt.Statement;
import org.codehaus.groovy.classgen.GeneratorContext;
import org.codehaus.groovy.control.CompilePhase;
import org.codehaus.groovy.control.SourceUnit;
import org.codehaus.groovy.control.customizers.CompilationCustomizer;

/**
 * Moves the blocks of a script ({@code step('a') { ... }}, {@code action { ctx -> ... }}) into
 * methods of the script's class, each made at run time as a {@link ScriptClosure}. Groovy compiles
 * every closure to a class of its own and gives each class a metaclass when its first instance is
 * made; a script of 100 steps has about 300 closures, and those classes were about 80% of what
 * loading it cost. Moved, the script is one class and its blocks share one.
 *
 * <p>A block is moved only when moving it cannot change what it means: its parameters are
 * untyped and have no defaults, it reads no local variable of the code around it (a closure keeps
 * those; a method could not), it uses no {@code super}, and it is not a lambda. In a moved block,
 * a name that is not its own local ({@code params}, {@code retry ...}) is looked up on the block
 * ({@code block.params}, {@code block.retry(...)}), as Groovy looks it up for a closure: through its
 * delegate and owner by its resolve strategy. A block that stays a closure inside a moved one gets
 * the moved one as its owner and delegate, as it had; a moved block inside a closure gets that
 * closure as its owner. Runs before Groovy's semantic analysis (and after {@link DslChecker}, which
 * sees the script as written), so everything after sees ordinary methods.
 */
final class ClosureLifter extends CompilationCustomizer {
  private static final String SELF = "rb4j$block";
  private static final ClassNode SCRIPT_CLOSURE = ClassHelper.make(ScriptClosure.class);

  /** The loader's switch: {@code -Drunbook4j.dsl.liftClosures=false} compiles every block as a closure. */
  static final boolean ENABLED = !"false".equals(System.getProperty("runbook4j.dsl.liftClosures"));

  ClosureLifter() {
    super(CompilePhase.CONVERSION);
  }

  @Override
  public void call(SourceUnit source, GeneratorContext context, ClassNode classNode) {
    if (!classNode.isScript()) {
      return;
    }
    Map<ClosureExpression, Boolean> movable = new IdentityHashMap<>();
    List<MethodNode> methods = new ArrayList<>();
    for (MethodNode m : classNode.getMethods()) {
      if (!m.isStatic() && !m.isAbstract() && m.getCode() != null) {
        methods.add(m);
        new Analysis(movable, m.getParameters()).scan(m.getCode());
      }
    }
    if (!movable.containsValue(Boolean.TRUE)) {
      return;
    }
    Set<String> staticImports = staticallyImported(source);
    if (staticImports == null) {
      return;   // a static star import of a class that does not load: which names it gives is unknown
    }
    Lifting lifting = new Lifting(source, classNode, movable, staticImports);
    for (MethodNode m : methods) {
      lifting.method(m);
    }
  }

  /**
   * The names the script's static imports give ({@code import static java.lang.Math.max}): a call of
   * one in a block is Groovy's static call, not a name to look up on the block. Null when a static
   * star import's class does not load.
   */
  private static Set<String> staticallyImported(SourceUnit source) {
    Set<String> names = new HashSet<>(source.getAST().getStaticImports().keySet());
    for (org.codehaus.groovy.ast.ImportNode star : source.getAST().getStaticStarImports().values()) {
      Class<?> type = load(source, star.getClassName());
      if (type == null) {
        return null;
      }
      for (java.lang.reflect.Method m : type.getMethods()) {
        names.add(m.getName());
      }
      for (java.lang.reflect.Field f : type.getFields()) {
        names.add(f.getName());
      }
    }
    return names;
  }

  /** The class {@code name} as the script's compiler would load it, or null. */
  private static Class<?> load(SourceUnit source, String name) {
    try {
      return source.getClassLoader().loadClass(name, false, true);
    } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
      return null;
    }
  }

  /** A scope of names: a block, a loop, a catch, or a closure's parameters (then {@code closure} is set). */
  private record Scope(Set<String> names, ClosureExpression closure) {}

  /**
   * Whether {@code c} declares no parameters and so takes {@code it}: Groovy's parser gives such a
   * closure an empty array, and one written {@code { -> ... }} none.
   */
  private static boolean implicitIt(ClosureExpression c) {
    return c.getParameters() != null && c.getParameters().length == 0;
  }

  private static void declare(Deque<Scope> scopes, Expression left) {
    if (left instanceof VariableExpression v) {
      scopes.peek().names().add(v.getName());
    } else if (left instanceof TupleExpression t) {
      for (Expression e : t.getExpressions()) {
        declare(scopes, e);
      }
    }
  }

  /** Finds the closures that may be moved: marks those that read an outer local or use super. */
  private static final class Analysis extends CodeVisitorSupport {
    private final Map<ClosureExpression, Boolean> movable;
    private final Deque<Scope> scopes = new ArrayDeque<>();

    Analysis(Map<ClosureExpression, Boolean> movable, Parameter[] parameters) {
      this.movable = movable;
      Set<String> names = new HashSet<>();
      for (Parameter p : parameters) {
        names.add(p.getName());
      }
      scopes.push(new Scope(names, null));
    }

    void scan(Statement code) {
      code.visit(this);
    }

    @Override
    public void visitBlockStatement(BlockStatement block) {
      scopes.push(new Scope(new HashSet<>(), null));
      super.visitBlockStatement(block);
      scopes.pop();
    }

    @Override
    public void visitForLoop(ForStatement loop) {
      scopes.push(new Scope(new HashSet<>(), null));
      loop.getCollectionExpression().visit(this);
      if (loop.getIndexVariable() != null) {
        scopes.peek().names().add(loop.getIndexVariable().getName());
      }
      if (loop.getValueVariable() != null && loop.getValueVariable() != ForStatement.FOR_LOOP_DUMMY) {
        scopes.peek().names().add(loop.getValueVariable().getName());
      }
      loop.getLoopBlock().visit(this);
      scopes.pop();
    }

    @Override
    public void visitCatchStatement(CatchStatement c) {
      scopes.push(new Scope(new HashSet<>(Set.of(c.getVariable().getName())), null));
      super.visitCatchStatement(c);
      scopes.pop();
    }

    @Override
    public void visitDeclarationExpression(DeclarationExpression d) {
      d.getRightExpression().visit(this);
      declare(scopes, d.getLeftExpression());
    }

    @Override
    public void visitClosureExpression(ClosureExpression c) {
      boolean ok = !(c instanceof LambdaExpression);
      Set<String> names = new HashSet<>();
      if (implicitIt(c)) {
        names.add("it");
      } else if (c.getParameters() != null) {
        for (Parameter p : c.getParameters()) {
          ok &= p.isDynamicTyped() && !p.hasInitialExpression();
          names.add(p.getName());
        }
      }
      movable.put(c, ok);
      scopes.push(new Scope(names, c));
      c.getCode().visit(this);
      scopes.pop();
    }

    @Override
    public void visitVariableExpression(VariableExpression v) {
      use(v.getName());
    }

    @Override
    public void visitMethodCallExpression(MethodCallExpression call) {
      if (call.isImplicitThis() && call.getMethodAsString() != null) {
        use(call.getMethodAsString());   // f(x) calls the local f when there is one: a use of it
      }
      super.visitMethodCallExpression(call);
    }

    private void use(String name) {
      if (name.equals("this")) {
        return;
      }
      List<ClosureExpression> crossed = new ArrayList<>();
      for (Scope s : scopes) {
        if (name.equals("super")) {
          if (s.closure() != null) {
            movable.put(s.closure(), false);
          }
          continue;
        }
        if (s.names().contains(name)) {
          for (ClosureExpression c : crossed) {
            movable.put(c, false);   // it reads a local of the code around it
          }
          return;
        }
        if (s.closure() != null) {
          crossed.add(s.closure());
        }
      }
    }
  }

  /** Moves the movable closures of each method, and rewrites what they and their neighbours need. */
  private static final class Lifting extends ClassCodeExpressionTransformer {
    private final SourceUnit source;
    private final ClassNode script;
    private final Map<ClosureExpression, Boolean> movable;
    private int count;

    /** Where code being rewritten is: a method, a moved block, or a block that stayed a closure. */
    private static final class Region {
      final ClosureExpression closure;   // null in a method
      final boolean moved;
      final String self;                 // the moved block's parameter
      final Deque<Scope> scopes = new ArrayDeque<>();
      String probe;                      // a closure's variable holding itself, once needed

      Region(ClosureExpression closure, boolean moved, String self) {
        this.closure = closure;
        this.moved = moved;
        this.self = self;
      }
    }

    private final Deque<Region> regions = new ArrayDeque<>();

    private final Set<String> staticImports;

    Lifting(SourceUnit source, ClassNode script, Map<ClosureExpression, Boolean> movable, Set<String> staticImports) {
      this.source = source;
      this.script = script;
      this.movable = movable;
      this.staticImports = staticImports;
    }

    /**
     * Whether {@code p} is, or begins with, a class named in full ({@code java.net.URLEncoder},
     * {@code org.slf4j.LoggerFactory.getLogger}): Groovy resolves those later, so their first name
     * is not the block's property. A class's simple name is capitalized, as Groovy also expects.
     */
    private boolean qualifiedClass(PropertyExpression p) {
      List<String> names = new ArrayList<>();
      Expression e = p;
      while (e instanceof PropertyExpression q && q.getPropertyAsString() != null) {
        names.add(0, q.getPropertyAsString());
        e = q.getObjectExpression();
      }
      if (!(e instanceof VariableExpression root) || declared(root.getName())) {
        return false;
      }
      StringBuilder name = new StringBuilder(root.getName());
      for (String n : names) {
        name.append('.').append(n);
        if (!n.isEmpty() && Character.isUpperCase(n.charAt(0)) && load(source, name.toString()) != null) {
          return true;
        }
      }
      return false;
    }

    @Override
    protected SourceUnit getSourceUnit() {
      return source;
    }

    void method(MethodNode m) {
      Region r = new Region(null, false, null);
      r.scopes.push(new Scope(new HashSet<>(), null));
      for (Parameter p : m.getParameters()) {
        r.scopes.peek().names().add(p.getName());
      }
      regions.push(r);
      m.getCode().visit(this);
      regions.pop();
    }

    private Region region() {
      return regions.peek();
    }

    private boolean declared(String name) {
      for (Scope s : region().scopes) {
        if (s.names().contains(name)) {
          return true;
        }
      }
      return false;
    }

    @Override
    public void visitBlockStatement(BlockStatement block) {
      region().scopes.push(new Scope(new HashSet<>(), null));
      super.visitBlockStatement(block);
      region().scopes.pop();
    }

    @Override
    public void visitForLoop(ForStatement loop) {
      region().scopes.push(new Scope(new HashSet<>(), null));
      loop.setCollectionExpression(transform(loop.getCollectionExpression()));
      if (loop.getIndexVariable() != null) {
        region().scopes.peek().names().add(loop.getIndexVariable().getName());
      }
      if (loop.getValueVariable() != null && loop.getValueVariable() != ForStatement.FOR_LOOP_DUMMY) {
        region().scopes.peek().names().add(loop.getValueVariable().getName());
      }
      loop.getLoopBlock().visit(this);
      region().scopes.pop();
    }

    @Override
    public void visitCatchStatement(CatchStatement c) {
      region().scopes.push(new Scope(new HashSet<>(Set.of(c.getVariable().getName())), null));
      super.visitCatchStatement(c);
      region().scopes.pop();
    }

    @Override
    public Expression transform(Expression e) {
      if (e == null) {
        return null;
      }
      if (e instanceof ClosureExpression c) {
        return closure(c);
      }
      if (e instanceof DeclarationExpression d) {
        d.setRightExpression(transform(d.getRightExpression()));
        declare(region().scopes, d.getLeftExpression());
        return d;
      }
      Region r = region();
      if (r.moved && e instanceof PropertyExpression p && qualifiedClass(p)) {
        return e;
      }
      if (r.moved && e instanceof VariableExpression v && !v.isThisExpression() && !v.isSuperExpression()
          && !declared(v.getName()) && !Character.isUpperCase(v.getName().charAt(0))
          && !staticImports.contains(v.getName())) {
        PropertyExpression p = new PropertyExpression(new VariableExpression(r.self), v.getName());
        p.setSourcePosition(v);
        return p;
      }
      if (r.moved && e instanceof MethodCallExpression call && call.isImplicitThis()
          && !(call.getMethodAsString() != null && (declared(call.getMethodAsString())
              || staticImports.contains(call.getMethodAsString())))) {
        MethodCallExpression on = new MethodCallExpression(new VariableExpression(r.self),
            transform(call.getMethod()), transform(call.getArguments()));
        on.setImplicitThis(false);
        on.setSafe(call.isSafe());
        on.setSpreadSafe(call.isSpreadSafe());
        on.setGenericsTypes(call.getGenericsTypes());
        on.setSourcePosition(call);
        return on;
      }
      return super.transform(e);
    }

    /** A closure: moved into a method and made as a block, or kept (and re-owned when inside a moved one). */
    private Expression closure(ClosureExpression c) {
      Region outer = region();
      if (!Boolean.TRUE.equals(movable.get(c))) {
        Region r = new Region(c, false, null);
        r.scopes.push(new Scope(new HashSet<>(), c));
        regions.push(r);
        c.getCode().visit(this);
        regions.pop();
        if (r.probe != null) {
          addProbe(c, r.probe);
        }
        if (outer.moved) {
          return located(new StaticMethodCallExpression(SCRIPT_CLOSURE, "owned",
              new ArgumentListExpression(c, new VariableExpression(outer.self))), c);
        }
        return c;
      }
      String name = ScriptClosure.PREFIX + (++count);
      String self = SELF;
      Region r = new Region(c, true, self);
      List<Parameter> params = new ArrayList<>();
      params.add(new Parameter(ClassHelper.OBJECT_TYPE, self));
      Set<String> names = new HashSet<>();
      if (implicitIt(c)) {
        params.add(new Parameter(ClassHelper.OBJECT_TYPE, "it"));
        names.add("it");
      } else if (c.getParameters() != null) {
        for (Parameter p : c.getParameters()) {
          Parameter q = new Parameter(ClassHelper.OBJECT_TYPE, p.getName());
          q.setSourcePosition(p);
          params.add(q);
          names.add(p.getName());
        }
      }
      r.scopes.push(new Scope(names, c));
      regions.push(r);
      c.getCode().visit(this);
      regions.pop();
      MethodNode m = new MethodNode(name, java.lang.reflect.Modifier.PUBLIC | 0x1000 /* synthetic: not in the metaclass */, ClassHelper.OBJECT_TYPE.getPlainNodeReference(),
          params.toArray(Parameter[]::new), ClassNode.EMPTY_ARRAY, c.getCode());
      m.setSourcePosition(c);
      script.addMethod(m);
      Expression owner = outer.moved ? new VariableExpression(outer.self)
          : outer.closure == null ? new VariableExpression("this")
          : new VariableExpression(probe(outer));
      return located(new ConstructorCallExpression(SCRIPT_CLOSURE, new ArgumentListExpression(new Expression[] {
          owner, new VariableExpression("this"), new ConstantExpression(name),
          new ConstantExpression(params.size() - 1, true)})), c);
    }

    /** The variable, in a closure that stayed one, that holds that closure (declared when first asked for). */
    private String probe(Region closure) {
      if (closure.probe == null) {
        closure.probe = "rb4j$owner$" + (++count);
      }
      return closure.probe;
    }

    /** Begins {@code c} with {@code def probe = ScriptClosure.ownerOf({ -> })}: a closure made in it is owned by it. */
    private static void addProbe(ClosureExpression c, String probe) {
      ClosureExpression empty = new ClosureExpression(Parameter.EMPTY_ARRAY, new BlockStatement());
      empty.setSourcePosition(c);
      Expression holder = located(new StaticMethodCallExpression(SCRIPT_CLOSURE, "ownerOf",
          new ArgumentListExpression(empty)), c);
      DeclarationExpression d = new DeclarationExpression(new VariableExpression(probe),
          org.codehaus.groovy.syntax.Token.newSymbol(org.codehaus.groovy.syntax.Types.ASSIGN, -1, -1), holder);
      d.setSourcePosition(c);
      ExpressionStatement first = new ExpressionStatement(d);
      first.setSourcePosition(c);
      Statement code = c.getCode();
      if (code instanceof BlockStatement b) {
        b.getStatements().add(0, first);
      } else {
        BlockStatement b = new BlockStatement();
        b.addStatement(first);
        b.addStatement(code);
        c.setCode(b);
      }
    }

    private static Expression located(Expression e, Expression at) {
      e.setSourcePosition(at);
      return e;
    }
  }
}
