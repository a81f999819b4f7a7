"""The scheduled token cleanup and the apps' token policies: keeping tokens healthy."""
