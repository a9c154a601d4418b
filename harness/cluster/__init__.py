"""The system under test: the broker image, the Docker engine, and the KRaft cluster built from them."""
