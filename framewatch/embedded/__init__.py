"""The embedded stack: framewatch on one machine with no AWS account.

Infrastructure only. It stands up an AWS emulator (moto server) that executes the real ASL files,
creates every resource of ``template.yaml`` through the AWS APIs, runs each real Lambda handler in
its own worker processes when the emulator invokes it, and plays the parts the emulator lacks (the
Pipe, the EventBridge → Step Functions delivery). Product code never asks whether it runs here.
"""
