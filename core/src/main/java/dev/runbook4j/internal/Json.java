package dev.runbook4j.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.runbook4j.JournalException;

/** Turns journaled JSON values back into the types the runbook declares. */
final class Json {
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .addModule(new JavaTimeModule())
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  private Json() {}

  /** {@code value} (as read from a journal) as a {@code type}; Object keeps the JSON shape. */
  static Object convert(Object value, Class<?> type) {
    if (value == null || type == Object.class || type.isInstance(value)) {
      return value;
    }
    try {
      return MAPPER.convertValue(value, type);
    } catch (IllegalArgumentException e) {
      throw new JournalException("A journaled output " + value + " cannot be read as a " + type.getSimpleName()
          + ": " + e.getMessage(), e);
    }
  }

  /** The run's parameters from their journaled JSON. */
  static <P> P params(String json, Class<P> type) {
    if (type == Void.class) {
      return null;
    }
    try {
      return MAPPER.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new JournalException("The journaled parameters " + json + " cannot be read as a " + type.getSimpleName()
          + ": " + e.getOriginalMessage(), e);
    }
  }
}
