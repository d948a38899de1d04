public enum KeelLabModule {}
