# Redis for machines that cannot pull the official image (the container test builds it FROM the
# local debootstrap-made base). Elsewhere docker-compose.yml uses the official redis image.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update \
  && apt-get install --yes --no-install-recommends redis-server redis-tools \
  && rm -rf /var/lib/apt/lists/*
USER redis
EXPOSE 6379
HEALTHCHECK --interval=5s --timeout=3s --retries=5 CMD ["redis-cli", "ping"]
# Tracker state is ephemeral (peers re-register after a restart): no persistence.
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]
