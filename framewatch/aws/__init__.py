"""Adapters: the only code that imports boto3. One module per AWS service.

Every client is made with plain ``boto3.client(service)``; where it points (AWS, LocalStack, the
embedded stack) comes only from the standard ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>``
environment variables that boto3 itself reads.
"""
