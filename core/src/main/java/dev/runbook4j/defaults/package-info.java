/** The engine's composition root: the default implementations handed to the engine (not an API). */
package dev.runbook4j.defaults;
