# The node agent image the Helm chart runs (image.agent). Build from the repository root after
# ./rotor build:  docker build -f docker/agent.Dockerfile -t <registry>/rotor-agent:<tag> .
FROM eclipse-temurin:21-jre
RUN groupadd --gid 10001 rotor && useradd --uid 10001 --gid rotor --no-create-home --shell /usr/sbin/nologin rotor
COPY ca-agent/target/rotor-agent.jar /app/rotor-agent.jar
USER 10001:10001
# Two glibc malloc arenas: freed native memory (crypto, compilers) does not stay resident in many.
ENV MALLOC_ARENA_MAX=2
EXPOSE 9090
ENTRYPOINT ["java", "-jar", "/app/rotor-agent.jar"]
