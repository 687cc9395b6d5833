# The worker + API image that compose.yaml runs next to the official apache/kafka image.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY events ./events
COPY analytics ./analytics
COPY streams ./streams
COPY api ./api
COPY pingback ./pingback
RUN pip install --no-cache-dir -c constraints.txt .
ENV PINGBACK_WEB_HOST=0.0.0.0 PINGBACK_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
CMD ["pingback", "worker", "--port", "8080"]
