"""provisioner: declarative infrastructure-as-code for OpenAI assistant resources."""
