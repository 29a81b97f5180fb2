"""The workflows (ASL) as definitions: checks that hold wherever they run (AWS, LocalStack, embedded)."""
