"""The Lambda service one kernel hosts, one module per part, in the order an invocation flows through them:

- lambda_service  LambdaService: the API calls (Lambda's operations in snake_case), composed from the parts below
- frontend        every invoke enters here: one InvocationRequest, validated and routed by invocation type
- permissions     resource policies: which service (S3, SNS, EventBridge, API Gateway) may invoke a function
- functions       the registry: one Function record each (versions, aliases, concurrency, async configuration)
- async_queue     the internal queue of Event invocations: retries, maximum age, destinations, dead-letter queues
- destinations    where records go afterwards: a function (through the Frontend) or an SQS queue
- event_sources/  event source mappings and their pollers (SQS, Kinesis, DynamoDB Streams)
- triggers/       other services pushing events to a function: S3 notifications, schedules, function URLs and
                  API Gateway APIs served on loopback (the rest the local AWS delivers itself), and list_triggers
- invoker         runs one request in an environment; writes START/END/REPORT, logs and metrics
- placement       execution environments per version: warm and cold, concurrency, throttles, recycling
- logs, metrics   CloudWatch-like stores; billing turns usage into cost; settings holds the service's numbers
"""
