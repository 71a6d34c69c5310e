package dev.runbook4j.dsl;

import groovy.lang.Closure;
import groovy.lang.MissingMethodException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * A block of a runbook script whose code the loader moved into a method of the script's own class
 * (see {@code ClosureLifter}): it behaves as the closure it was written as — the same owner,
 * delegate, resolve strategy and parameters — but all such blocks of a script share this one
 * class, where Groovy makes a class for each closure (and a metaclass for each when it is first
 * made), which is most of what a script of many steps costs to load.
 *
 * <p>Made only by compiled scripts; not an API.
 */
@API(status = API.Status.INTERNAL, since = "0.1")
public final class ScriptClosure extends Closure<Object> {
  private static final long serialVersionUID = 1L;

  private final String method;
  private transient Method target;

  /**
   * A block whose code is the script's method {@code method}, which takes the block itself and then
   * the block's {@code parameters} parameters (one, {@code it}, for a block that declares none).
   */
  public ScriptClosure(Object owner, Object thisObject, String method, int parameters) {
    super(owner, thisObject);
    this.method = method;
    this.maximumNumberOfParameters = parameters;
    Class<?>[] types = new Class<?>[parameters];
    Arrays.fill(types, Object.class);
    this.parameterTypes = types;
  }

  /** What Groovy's dispatch calls ({@code block(x)}, {@code block.call(x)}). */
  public Object doCall(Object... args) {
    return call(args);
  }

  @Override
  public Object call() {
    return call(new Object[0]);
  }

  @Override
  public Object call(Object argument) {
    return call(new Object[] {argument});
  }

  @Override
  public Object call(Object... args) {
    int n = maximumNumberOfParameters;
    Object[] given = args == null ? new Object[] {null} : args;
    if (given.length == 1 && n > 1) {
      // as Groovy does: one list (or array) for a block of several parameters is spread over them
      if (given[0] instanceof List<?> list && list.size() == n) {
        given = list.toArray();
      } else if (given[0] instanceof Object[] array && array.length == n) {
        given = array;
      }
    }
    if (given.length > n || (given.length < n && !(n == 1 && given.length == 0))) {
      throw new MissingMethodException("doCall", getClass(), given);
    }
    Object[] all = new Object[n + 1];
    all[0] = this;
    System.arraycopy(given, 0, all, 1, given.length);
    Method m = target;
    if (m == null) {
      m = target = find();
    }
    try {
      return m.invoke(getThisObject(), all);
    } catch (InvocationTargetException e) {
      throw ScriptClosure.<RuntimeException>sneaky(e.getCause());
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("the script's block " + method + " cannot be called", e);
    }
  }

  private Method find() {
    Method m = BLOCKS.get(getThisObject().getClass()).get(method);
    if (m == null || m.getParameterCount() != maximumNumberOfParameters + 1) {
      throw new IllegalStateException("the script's block " + method + " is missing from "
          + getThisObject().getClass().getName());
    }
    return m;
  }

  /**
   * The blocks' methods of each script class, by name: found once per class, where
   * {@code Class.getMethod} searches all of a class's methods on each call (a 1,000-step script has
   * 2,000 blocks).
   */
  private static final ClassValue<Map<String, Method>> BLOCKS = new ClassValue<>() {
    @Override
    protected Map<String, Method> computeValue(Class<?> type) {
      Map<String, Method> methods = new HashMap<>();
      for (Method m : type.getMethods()) {
        if (m.getName().startsWith(PREFIX)) {
          methods.put(m.getName(), m);
        }
      }
      return methods;
    }
  };

  /** How the names of the methods holding blocks begin. */
  static final String PREFIX = "rb4j$block$";

  @SuppressWarnings("unchecked")
  private static <T extends Throwable> T sneaky(Throwable t) throws T {
    throw (T) t;
  }

  /**
   * {@code block}, owned (and by default delegated to) {@code owner}: a block that stayed a closure
   * inside a moved one, given the owner it was written in.
   */
  public static Closure<?> owned(Closure<?> block, Object owner) {
    return block.rehydrate(owner, owner, block.getThisObject());
  }

  /** The closure that made {@code probe}: how a moved block finds the closure it was written in. */
  public static Object ownerOf(Closure<?> probe) {
    return probe.getOwner();
  }
}
