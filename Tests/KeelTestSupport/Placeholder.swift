public enum KeelTestSupportModule {}
