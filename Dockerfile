# EdgeOCR container: built by the same path as the offline bundle (scripts/make-bundle.sh),
# installed by the bundle's install.sh. No Docker engine runs in this project's CI, so this
# file is not built by the tests; the path it wraps is (tests/package).
#   docker build -t edgeocr .
#   docker run -d -p 8000:8000 -v edgeocr-data:/var/lib/edgeocr edgeocr

FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN scripts/install-deps.sh --build --runtime \
 && BUILD_DIR=/src/build scripts/make-bundle.sh \
 && mv build/bundle/edgeocr-*-debian12-amd64 /bundle

FROM debian:12-slim
COPY --from=build /bundle /tmp/bundle
RUN /tmp/bundle/install.sh && rm -rf /tmp/bundle /var/lib/apt/lists/* \
 && install -d -o edgeocr -g edgeocr -m 0750 /var/lib/edgeocr
USER edgeocr
WORKDIR /var/lib/edgeocr
VOLUME /var/lib/edgeocr
# Inside a container the service must listen beyond loopback; give it an auth file
# (EDGEOCR_AUTH_FILE) before publishing the port to a network.
ENV EDGEOCR_HOST=0.0.0.0 EDGEOCR_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD ["bash", "-c", \
  "exec 3<>/dev/tcp/127.0.0.1/8000 && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && grep -q '\"ok\"' <&3"]
STOPSIGNAL SIGTERM
CMD ["edgeocr", "serve", "--config", "/etc/edgeocr/edgeocr.toml"]
