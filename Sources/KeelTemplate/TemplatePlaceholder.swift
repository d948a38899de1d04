// The Jinja2-compatible template engine lives in this target.
public enum KeelTemplateModule {}
