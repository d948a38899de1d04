public enum KeelTransportModule {}
