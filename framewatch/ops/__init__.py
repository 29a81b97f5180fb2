"""Operations on a running stack (AWS, LocalStack or embedded): executions, dead letters, purge, cost."""
