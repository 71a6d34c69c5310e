package dev.runbook4j.dsl;

import groovy.lang.GroovyObjectSupport;
import org.codehaus.groovy.runtime.InvokerHelper;

/**
 * The {@code item} of a {@code forEach} body: it stands for the current item when the body's
 * closures run ({@code "deploy ${item}"}, {@code item.host}).
 */
final class ItemRef extends GroovyObjectSupport {
  private static Object now() {
    DslContext ctx = DslContext.current();
    if (ctx == null) {
      throw new IllegalStateException("item is known only while a step or check inside the forEach runs");
    }
    return ctx.getItem();
  }

  @Override
  public Object getProperty(String name) {
    return InvokerHelper.getProperty(now(), name);
  }

  @Override
  public Object invokeMethod(String name, Object args) {
    return InvokerHelper.invokeMethod(now(), name, args);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ItemRef ? o == this : java.util.Objects.equals(now(), o);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hashCode(now());
  }

  @Override
  public String toString() {
    return String.valueOf(now());
  }
}
