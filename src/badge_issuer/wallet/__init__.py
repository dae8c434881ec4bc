"""Into the learner's wallet: claim secrets, OpenID4VCI key proofs and metadata, and the award
signed afresh for the wallet's DID."""
