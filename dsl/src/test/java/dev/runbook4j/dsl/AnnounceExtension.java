package dev.runbook4j.dsl;

import groovy.lang.Closure;

/** A test extension: {@code announce 'text'} adds a read-only step that returns the text. */
public final class AnnounceExtension implements DslExtension {
  @Override
  public Class<?> keywords() {
    return Announce.class;
  }

  @Override
  public Object create(NodesDsl nodes) {
    return new Announce(nodes);
  }

  /** The keywords. */
  public static final class Announce {
    private final NodesDsl nodes;

    Announce(NodesDsl nodes) {
      this.nodes = nodes;
    }

    public void announce(String text) {
      nodes.step("announce-" + text, new Closure<Object>(this) {
        @SuppressWarnings("unused")
        public Object doCall() {
          StepDsl s = (StepDsl) getDelegate();
          s.action(new Closure<Object>(this) {
            @SuppressWarnings("unused")
            public Object doCall(Object ctx) {
              return text;
            }
          });
          s.readOnly();
          return null;
        }
      });
    }
  }
}
